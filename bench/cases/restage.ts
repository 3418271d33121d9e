/**
 * Item 5: a restage with the warm staging cache of the first staging. The first staging downloads
 * the node runtime and the sidecar; the restage must download nothing (counted at the server) and
 * take a fraction of the time.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeApp, makeBuildpack } from '../buildpack.js';
import { MB, type BenchContext } from '../context.js';
import { runOnce } from '../measure.js';
import type { Row } from '../report.js';
import { supplyCommand } from '../staging.js';
import { pairedRatio, summarize } from '../stats.js';
import type { NodeRuntimeServed } from './runtime.js';

export async function benchRestage(
  ctx: BenchContext,
  runtime: NodeRuntimeServed,
  sizeMb: number,
): Promise<Row[]> {
  const archive = await ctx.artifact(sizeMb, 'binary');
  const uri = ctx.server.serve(`/sidecars/restage-${sizeMb}/bench-sidecar.tgz`, archive.path);
  const buildpack = await makeBuildpack(ctx.ws, {
    nodeUri: runtime.uri,
    nodeSha256: runtime.sha256,
    sidecar: { uri, sha256: archive.sha256 },
  });
  const cacheDir = await ctx.ws.dir('cache');
  const run = {
    buildpack,
    app: await makeApp(ctx.ws, 'sidecar'),
    cacheDir,
    depsDir: join(await ctx.ws.dir('deps'), 'deps'),
    env: ctx.env,
    expectLaunchYml: true,
  };
  const first = supplyCommand('first staging', {
    ...run,
    before: () => rm(cacheDir, { recursive: true, force: true }),
  });
  const restage = supplyCommand('restage', run);
  const firstMs: number[] = [];
  const restageMs: number[] = [];
  const firstBytes: number[] = [];
  const restageBytes: number[] = [];
  ctx.progress(`5: first staging and restage, ${sizeMb} MB sidecar`);
  for (let i = 0; i < ctx.plan.warmup + ctx.plan.restageRuns; i++) {
    ctx.server.reset();
    const a = await runOnce(first);
    const aBytes = ctx.server.bytesSent();
    ctx.server.reset();
    const b = await runOnce(restage);
    const bBytes = ctx.server.bytesSent();
    if (i < ctx.plan.warmup) continue;
    firstMs.push(a.wallMs);
    restageMs.push(b.wallMs);
    firstBytes.push(aBytes);
    restageBytes.push(bBytes);
  }
  const tgz = `${(archive.bytes / MB).toFixed(0)} MB sidecar`;
  return [
    {
      item: 5,
      measurement: `restage with a warm cache (${tgz}, node runtime): time`,
      unit: 'ms',
      ours: summarize(restageMs),
      baselineLabel: 'first staging (empty cache)',
      baseline: summarize(firstMs),
      ratio: pairedRatio(restageMs, firstMs),
    },
    {
      item: 5,
      measurement: `restage with a warm cache: bytes downloaded (first staging: ${(summarize(firstBytes).median / MB).toFixed(1)} MB)`,
      unit: 'B',
      ours: summarize(restageBytes),
      target: { kind: 'max', value: 0 },
    },
  ];
}
