/**
 * Runs the real bin/ shims the way the buildpack lifecycle does (cf-contract section 1):
 * `bin/supply BUILD_DIR CACHE_DIR DEPS_DIR INDEX` in fresh temp dirs, with DEPS_DIR/<i> created
 * beforehand for every buildpack, and optionally a PATH like the stack's: no node on it.
 */
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { makeStackPath } from '../../src/packaging/stack-path.js';
import { tempDir } from './tmp.js';

export interface StagingDirs {
  buildDir: string;
  cacheDir: string;
  depsDir: string;
}

/** Copies an app into a fresh BUILD_DIR and makes empty CACHE_DIR and DEPS_DIR/0..count-1. */
export async function stagingDirs(appDir?: string, indexes = 1): Promise<StagingDirs> {
  const root = await tempDir('staging-');
  const dirs = { buildDir: join(root, 'app'), cacheDir: join(root, 'cache'), depsDir: join(root, 'deps') };
  if (appDir) await cp(appDir, dirs.buildDir, { recursive: true });
  else await mkdir(dirs.buildDir);
  await mkdir(dirs.cacheDir);
  for (let i = 0; i < indexes; i++) await mkdir(join(dirs.depsDir, String(i)), { recursive: true });
  return dirs;
}

let stackPathPromise: Promise<string> | undefined;

/**
 * A PATH with every tool of /usr/bin and /bin except node and its package managers, like the
 * cflinuxfs4 stack, which has no node (the same builder `package.sh --verify` uses).
 */
export function pathWithoutNode(): Promise<string> {
  stackPathPromise ??= tempDir('stack-path-').then((dir) => makeStackPath(dir, '/usr/bin:/bin'));
  return stackPathPromise;
}

export interface RunPhaseOptions {
  env?: Record<string, string | undefined>;
  /** Hide node from PATH, as on the stack (default true). */
  noNode?: boolean;
  /** Sends SIGTERM to the phase when aborted, as the lifecycle does when staging is cancelled. */
  cancelSignal?: AbortSignal;
}

export interface PhaseResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved, as the staging log shows them. */
  all: string;
}

/** Runs bin/<phase> of `buildpackDir` with `args`; never throws on a non-zero exit. */
export async function runPhase(
  buildpackDir: string,
  phase: 'detect' | 'supply' | 'finalize' | 'release',
  args: string[],
  options: RunPhaseOptions = {},
): Promise<PhaseResult> {
  const path = options.noNode === false ? process.env.PATH : await pathWithoutNode();
  const result = await execa(join(buildpackDir, 'bin', phase), args, {
    reject: false,
    all: true,
    // The platform's KILL comes well after its TERM; execa's default (5 s) would cut the
    // buildpack's own clean-up short on a loaded machine.
    ...(options.cancelSignal ? { cancelSignal: options.cancelSignal, forceKillAfterDelay: 20_000 } : {}),
    extendEnv: false,
    env: {
      PATH: path,
      HOME: process.env.HOME,
      TMPDIR: await tempDir('tmpdir-'),
      CF_STACK: 'cflinuxfs4',
      ...options.env,
    },
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, all: result.all };
}

export function supplyArgs(dirs: StagingDirs, index = 0): string[] {
  return [dirs.buildDir, dirs.cacheDir, dirs.depsDir, String(index)];
}
