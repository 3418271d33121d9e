/**
 * The typed inputs of every phase. cli.ts builds them from argv and the environment; phases
 * never read `process`.
 */
import type { TransportOptions } from '../dependencies/download.js';
import type { Logger } from '../log/logger.js';

export interface BuildpackInfo {
  /** The buildpack's root (where bin/ and manifest.yml are). */
  dir: string;
  version: string;
}

export interface DetectContext {
  buildDir: string;
  env: Record<string, string | undefined>;
  log: Logger;
}

export interface StagingContext {
  buildpack: BuildpackInfo;
  buildDir: string;
  cacheDir: string;
  depsDir: string;
  depsIdx: string;
  /** Only for finalize: where the final buildpack may put profile.d scripts. */
  profileDir?: string;
  /** CF_STACK, cflinuxfs4 when unset. */
  stack: string;
  /** The app's environment at staging (SIDECARS_YML lives here). */
  env: Record<string, string | undefined>;
  transport: TransportOptions;
  maxUnpackedBytes: number;
  now: Date;
  log: Logger;
  /** Aborted when the lifecycle cancels staging (SIGTERM); the transport carries it too. */
  signal?: AbortSignal;
}

export interface ReleaseContext {
  buildDir: string;
  env: Record<string, string | undefined>;
}
