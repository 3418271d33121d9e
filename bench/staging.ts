/**
 * Runs the buildpack's bin/ shims as the lifecycle does (cf-contract section 1), in an
 * environment like the stack's: a PATH without node, CF_STACK set, a private TMPDIR.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { makeStackPath } from '../src/packaging/stack-path.js';
import { join } from 'node:path';
import type { Command } from './measure.js';
import type { Workspace } from './workspace.js';

/** Env for the shims: every tool of /usr/bin and /bin except node, as on cflinuxfs4. */
export async function stackEnv(ws: Workspace): Promise<NodeJS.ProcessEnv> {
  const bin = await makeStackPath(await ws.dir('stack-path'), '/usr/bin:/bin');
  return {
    PATH: bin,
    HOME: ws.root,
    TMPDIR: await ws.dir('tmpdir'),
    CF_STACK: 'cflinuxfs4',
    LANG: 'C.UTF-8',
  };
}

export interface SupplyRun {
  buildpack: string;
  app: string;
  cacheDir: string;
  /** DEPS_DIR; emptied before and removed after every run. */
  depsDir: string;
  env: NodeJS.ProcessEnv;
  /** Fail the run unless it wrote DEPS_DIR/0/launch.yml (i.e. installed the sidecar). */
  expectLaunchYml: boolean;
  /** Also runs before every run (e.g. empties the cache). */
  before?: () => Promise<void>;
}

/** `bin/supply BUILD_DIR CACHE_DIR DEPS_DIR 0` with a fresh DEPS_DIR/0 each time. */
export function supplyCommand(label: string, run: SupplyRun): Command {
  return {
    label,
    file: join(run.buildpack, 'bin', 'supply'),
    args: [run.app, run.cacheDir, run.depsDir, '0'],
    env: run.env,
    before: async () => {
      await rm(run.depsDir, { recursive: true, force: true });
      await mkdir(join(run.depsDir, '0'), { recursive: true });
      await mkdir(run.cacheDir, { recursive: true });
      await run.before?.();
    },
    after: async () => {
      const wrote = await stat(join(run.depsDir, '0', 'launch.yml')).then(
        () => true,
        () => false,
      );
      await rm(run.depsDir, { recursive: true, force: true });
      if (wrote !== run.expectLaunchYml)
        throw new Error(`${label}: launch.yml was ${wrote ? '' : 'not '}written`);
    },
  };
}

/** A bash one-liner as a baseline, unpacking into `dir` (fresh each run, removed after). */
export function shellCommand(label: string, script: string, dir: string, env?: NodeJS.ProcessEnv): Command {
  return {
    label,
    file: 'bash',
    args: ['-c', `set -euo pipefail; ${script}`],
    ...(env ? { env } : {}),
    before: async () => {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
    },
    after: () => rm(dir, { recursive: true, force: true }),
  };
}
