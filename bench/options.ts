/** Command-line flags of `npm run bench -- [--quick] [--only 1,4] [--out FILE]`. */
import { join } from 'node:path';
import { REPO_ROOT } from './buildpack.js';

export interface BenchOptions {
  quick: boolean;
  /** Items (1-10) to run; all when empty. */
  only: Set<number>;
  /** Overrides the plan's .tgz sizes (MB) for items 1 and 2, e.g. `--mb 10` while profiling. */
  supplySizesMb?: number[];
  /** Where the markdown goes: bench/results.md for a full run, .bench/ (ignored) otherwise. */
  out: string;
}

export const USAGE = 'usage: npm run bench -- [--quick] [--only 1,2,...] [--mb 10,100] [--out FILE]';

export function parseOptions(argv: string[]): BenchOptions {
  let quick = false;
  let only = new Set<number>();
  let out: string | undefined;
  let supplySizesMb: number[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--only')
      only = new Set(
        (argv[++i] ?? '')
          .split(',')
          .map(Number)
          .filter((n) => n >= 1 && n <= 10),
      );
    else if (arg === '--out') out = argv[++i];
    else if (arg === '--mb')
      supplySizesMb = (argv[++i] ?? '')
        .split(',')
        .map(Number)
        .filter((n) => n > 0);
    else throw new Error(`unknown argument ${JSON.stringify(arg)}; ${USAGE}`);
  }
  // A partial or quick run never overwrites the committed results of a full run.
  const partial = quick || only.size > 0 || supplySizesMb !== undefined;
  return {
    quick,
    only,
    ...(supplySizesMb?.length ? { supplySizesMb } : {}),
    out: out ?? join(REPO_ROOT, partial ? '.bench' : 'bench', partial ? 'results-partial.md' : 'results.md'),
  };
}
