/**
 * Item 3: peak RSS of the supply process (and the children it waits for) while it installs an
 * incompressible sidecar, packaged and downloaded, at growing sizes. Streaming means it stays
 * flat: the baseline column is supply with nothing to install (node and the bundle alone).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeApp, makeBuildpack } from '../buildpack.js';
import type { BenchContext } from '../context.js';
import { runOnce } from '../measure.js';
import type { Row } from '../report.js';
import { supplyCommand } from '../staging.js';
import { summarize } from '../stats.js';
import type { NodeRuntimeServed } from './runtime.js';

const KB_PER_MB = 1024;

export async function benchPeakRss(ctx: BenchContext, runtime: NodeRuntimeServed): Promise<Row[]> {
  const rssFile = await ctx.ws.path('rss', 'time.out');
  const cacheDir = await ctx.ws.dir('cache');
  const depsDir = join(await ctx.ws.dir('deps'), 'deps');
  const noop = await noopSupplyRss(ctx, runtime, cacheDir, depsDir, rssFile);
  const rows: Row[] = [];
  const app = await makeApp(ctx.ws, 'sidecar');
  for (const mb of ctx.plan.rssSizesMb) {
    const archive = await ctx.artifact(mb, 'random');
    const uri = ctx.server.serve(`/sidecars/random-${mb}/bench-sidecar.tgz`, archive.path);
    for (const packaged of [true, false]) {
      const buildpack = await makeBuildpack(ctx.ws, {
        nodeUri: runtime.uri,
        nodeSha256: runtime.sha256,
        sidecar: { uri, sha256: archive.sha256, ...(packaged ? { packagedFile: archive.path } : {}) },
      });
      const command = supplyCommand('supply', {
        buildpack,
        app,
        cacheDir,
        depsDir,
        env: ctx.env,
        expectLaunchYml: true,
        before: () => rm(join(cacheDir, 'dependencies'), { recursive: true, force: true }),
      });
      ctx.progress(`3: peak RSS, ${mb} MB ${packaged ? 'packaged' : 'downloaded'}`);
      const peaks: number[] = [];
      for (let i = 0; i < ctx.plan.rssRuns; i++)
        peaks.push(((await runOnce(command, rssFile)).maxRssKb ?? 0) / KB_PER_MB);
      rows.push({
        item: 3,
        measurement: `peak RSS of supply, ${mb} MB incompressible sidecar, ${packaged ? 'packaged' : 'downloaded'}`,
        unit: 'MB',
        ours: summarize(peaks),
        baselineLabel: 'supply, empty sidecars list',
        baseline: noop,
        target: { kind: 'max', value: 80 },
      });
      await rm(buildpack, { recursive: true, force: true });
    }
    await rm(join(cacheDir, 'dependencies'), { recursive: true, force: true });
    await ctx.forget(mb, 'random');
  }
  return rows;
}

async function noopSupplyRss(
  ctx: BenchContext,
  runtime: NodeRuntimeServed,
  cacheDir: string,
  depsDir: string,
  rssFile: string,
) {
  const buildpack = await makeBuildpack(ctx.ws, {
    nodeUri: runtime.uri,
    nodeSha256: runtime.sha256,
  });
  const command = supplyCommand('supply, empty sidecars list', {
    buildpack,
    app: await makeApp(ctx.ws, 'empty'),
    cacheDir,
    depsDir,
    env: ctx.env,
    expectLaunchYml: false,
  });
  const peaks: number[] = [];
  for (let i = 0; i < ctx.plan.rssRuns + 1; i++)
    peaks.push(((await runOnce(command, rssFile)).maxRssKb ?? 0) / KB_PER_MB);
  return summarize(peaks.slice(1));
}
