/** What every bench case gets: scratch space, the loopback server, the stack env, the plan. */
import { rm } from 'node:fs/promises';
import { generateTgz, type GeneratedArchive, type PayloadKind } from './artifacts.js';
import type { CountingServer } from './server.js';
import type { Workspace } from './workspace.js';

export const MB = 1024 * 1024;

/** Sizes and repetitions: the full run, or `--quick` (tiny, to prove the bench runs in CI). */
export interface Plan {
  quick: boolean;
  /** .tgz sizes for items 1 and 2, in MB; the smallest also incompressible, and for item 7. */
  supplySizesMb: number[];
  /** Incompressible artifact sizes for item 3, in MB; the largest is the 500 MB of the issue. */
  rssSizesMb: number[];
  warmup: number;
  /** Pairs per size for items 1 and 2 (the largest size gets fewer). */
  supplyRuns: (sizeMb: number) => number;
  rssRuns: number;
  startupRuns: number;
  /** Sidecar counts for item 8, each of `manySizeMb`, and pairs per count. */
  manyCounts: number[];
  manySizeMb: number;
  manyRuns: number;
  /** Runs of the fresh-container detect (item 4), which unpacks the real runtime each time. */
  freshRuns: number;
  restageRuns: number;
  packagingRuns: number;
  /** Pack the real node binary into the runtime tarball, so a first staging pays its unpack. */
  realNodeTarball: boolean;
}

export const FULL_PLAN: Plan = {
  quick: false,
  supplySizesMb: [10, 100],
  rssSizesMb: [10, 100, 500],
  warmup: 1,
  supplyRuns: (mb) => (mb >= 100 ? 7 : 15),
  rssRuns: 3,
  startupRuns: 40,
  manyCounts: [1, 5, 20],
  manySizeMb: 5,
  manyRuns: 7,
  freshRuns: 5,
  restageRuns: 5,
  packagingRuns: 5,
  realNodeTarball: true,
};

export const QUICK_PLAN: Plan = {
  quick: true,
  supplySizesMb: [1],
  rssSizesMb: [1, 4],
  warmup: 1,
  supplyRuns: () => 2,
  rssRuns: 1,
  startupRuns: 2,
  manyCounts: [1, 3],
  manySizeMb: 1,
  manyRuns: 1,
  freshRuns: 1,
  restageRuns: 1,
  packagingRuns: 1,
  realNodeTarball: false,
};

export interface BenchContext {
  ws: Workspace;
  server: CountingServer;
  /** Env of the shims: PATH without node, TMPDIR, CF_STACK. */
  env: NodeJS.ProcessEnv;
  /** The node binary the staging runtime runs (and `node -e 0` uses). */
  node: string;
  plan: Plan;
  progress: (message: string) => void;
  /** A generated .tgz of about `tgzMb` (binary payload) or exactly `mb` (random), shared by cases. */
  artifact: (mb: number, kind: PayloadKind) => Promise<GeneratedArchive>;
  /** Deletes a generated artifact once no case needs it (keeps disk use bounded). */
  forget: (mb: number, kind: PayloadKind) => Promise<void>;
}

/** Memoized artifact generation; `binary` sizes are the .tgz size (payload is about twice). */
export function artifactStore(ws: Workspace, progress: (m: string) => void) {
  const made = new Map<string, Promise<GeneratedArchive>>();
  const key = (mb: number, kind: PayloadKind) => `${kind}-${mb}`;
  return {
    artifact(mb: number, kind: PayloadKind): Promise<GeneratedArchive> {
      let archive = made.get(key(mb, kind));
      if (!archive) {
        progress(`generating a ${mb} MB ${kind} .tgz`);
        archive = ws
          .path('artifacts', `${key(mb, kind)}.tgz`)
          .then((path) => generateTgz(path, (kind === 'binary' ? 2 : 1) * mb * MB, kind));
        made.set(key(mb, kind), archive);
      }
      return archive;
    },
    async forget(mb: number, kind: PayloadKind): Promise<void> {
      const archive = made.get(key(mb, kind));
      if (!archive) return;
      made.delete(key(mb, kind));
      await rm((await archive).path, { force: true });
    },
  };
}
