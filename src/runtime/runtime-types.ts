/**
 * runtime.json: the data contract between staging (TypeScript) and the run-time bash in
 * src/runtime/*.sh. Supply writes it to DEPS_DIR/INDEX/sidecar_runtime/runtime.json; the scripts
 * read it with jq. Every field name here is read by name in those scripts: change both together
 * and bump `version`.
 */
import type { Probe } from '../config/runtime-options-types.js';

export const RUNTIME_JSON_VERSION = 3;

/** A probe as the scripts read it: `kind` and either `url` (http) or `port` (tcp). */
export type RuntimeProbe = Probe;

export interface RuntimeProcessType {
  /** Sum of `limits.memory` of this buildpack's sidecars beside this process type. */
  sidecarMemoryMb: number;
  /** Their names, for people reading the file. */
  sidecars: string[];
}

/** A sidecar another buildpack's launch.yml declares (src/launch/declared-sidecars.ts). */
export interface RuntimeOtherSidecar {
  name: string;
  /** The deps dir whose launch.yml declares it. */
  depsIdx: string;
  processTypes: string[];
  memoryMb: number;
  /** The exact launch command: profile.sh knows the sidecar's launch by it ($2). */
  command: string;
}

export interface RuntimeSidecar {
  processTypes: string[];
  memoryMb: number;
  /** ready-wait.sh */
  ready?: RuntimeProbe & { timeoutSeconds: number; onTimeout: 'fail' | 'warn' };
  /** supervise.sh */
  health?: RuntimeProbe & {
    intervalSeconds: number;
    timeoutSeconds: number;
    failureThreshold: number;
    startPeriodSeconds: number;
  };
  /** supervise.sh */
  stop?: { graceSeconds: number };
  /** credentials.sh: names and paths only, never a value. */
  credentials?: { by: 'name' | 'label' | 'tag'; value: string; env: Record<string, string[]> }[];
  /** supervise.sh: `never` exits with the sidecar, as Cloud Foundry expects of any process. */
  restart: RuntimeRestart;
  /** supervise.sh: samples the RSS of the sidecar's process tree against memoryMb. */
  memoryCheck: { action: 'warn' | 'restart'; intervalSeconds: number; samples: number };
  /** supervise.sh: the sidecar's nice value (0: as the app). */
  nice: number;
}

export interface RuntimeRestart {
  policy: 'never' | 'on-failure' | 'always';
  /** 0 with policy never. */
  maxRestarts: number;
  withinSeconds: number;
  backoff: { initialSeconds: number; maxSeconds: number; resetAfterSeconds: number };
}

export interface RuntimeJson {
  version: number;
  processTypes: Record<string, RuntimeProcessType>;
  sidecars: Record<string, RuntimeSidecar>;
  /** Other buildpacks' sidecars: the memory guard reserves their memory as well. */
  otherSidecars: RuntimeOtherSidecar[];
}
