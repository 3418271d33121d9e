/**
 * Item 6: scripts/package.sh --cached (download cache warm, so it packages rather than
 * downloads) against `zip -qr` of the very tree the cached zip holds.
 */
import { spawnSync } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeBuildpack, REPO_ROOT } from '../buildpack.js';
import { MB, type BenchContext } from '../context.js';
import { compare, runOnce, type Command } from '../measure.js';
import type { Row } from '../report.js';
import { shellCommand } from '../staging.js';
import { pairedRatio, summarize } from '../stats.js';
import type { NodeRuntimeServed } from './runtime.js';

export async function benchPackaging(
  ctx: BenchContext,
  runtime: NodeRuntimeServed,
  sizeMb: number,
): Promise<Row[]> {
  const archive = await ctx.artifact(sizeMb, 'binary');
  const uri = ctx.server.serve(`/sidecars/package-${sizeMb}/bench-sidecar.tgz`, archive.path);
  const source = await makeBuildpack(ctx.ws, {
    nodeUri: runtime.uri,
    nodeSha256: runtime.sha256,
    sidecar: { uri, sha256: archive.sha256 },
  });
  const cacheDir = await ctx.ws.dir('package-cache');
  const outDir = await ctx.ws.dir('package-out');
  const packageSh: Command = {
    label: 'scripts/package.sh --cached',
    file: join(REPO_ROOT, 'scripts', 'package.sh'),
    args: [
      '--cached',
      '--stack',
      'cflinuxfs4',
      '--source',
      source,
      '--cache-dir',
      cacheDir,
      '--output',
      outDir,
      '--version',
      '1.0.0',
    ],
    before: () => emptyDir(outDir),
  };
  // One run up front fills the download cache and gives the tree for the baseline.
  await runOnce(packageSh);
  const [zip] = await readdir(outDir);
  if (!zip) throw new Error('failed to package: no zip written');
  const tree = await ctx.ws.dir('package-tree');
  const unzip = spawnSync('unzip', ['-q', join(outDir, zip), '-d', tree]);
  if (unzip.status !== 0) throw new Error(`failed to unzip the cached zip: ${String(unzip.stderr)}`);
  const zipOut = await ctx.ws.dir('zip-out');
  const baseline = shellCommand(
    'zip -qr',
    `cd ${tree} && zip -qr ${join(zipOut, 'out', 'b.zip')} .`,
    join(zipOut, 'out'),
  );

  ctx.progress(`6: packaging the cached zip, ${sizeMb} MB sidecar`);
  const result = await compare(packageSh, baseline, {
    warmup: ctx.plan.warmup,
    runs: ctx.plan.packagingRuns,
  });
  const ours = result.subject.map((s) => s.wallMs);
  const floor = result.baseline.map((s) => s.wallMs);
  await rm(tree, { recursive: true, force: true });
  return [
    {
      item: 6,
      measurement: `scripts/package.sh --cached (${(archive.bytes / MB).toFixed(0)} MB sidecar + node runtime, download cache warm)`,
      unit: 'ms',
      ours: summarize(ours),
      baselineLabel: 'zip -qr ZIP . (same tree)',
      baseline: summarize(floor),
      ratio: pairedRatio(ours, floor),
    },
  ];
}

async function emptyDir(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
}
