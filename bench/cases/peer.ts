/**
 * Item 7: supply with one packaged 10 MB .tgz sidecar against the bash supply buildpack
 * an app developer would write instead (bench/peer/bin/supply: sha256sum -c, tar xzf, launch.yml
 * by printf), both staged the same way: never slower than the script is the goal.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EXECUTABLE, type PayloadKind } from '../artifacts.js';
import { makeApp, makeBuildpack, makePeerBuildpack } from '../buildpack.js';
import { MB, type BenchContext } from '../context.js';
import { compare } from '../measure.js';
import type { Row } from '../report.js';
import { supplyCommand } from '../staging.js';
import { pairedRatio, summarize } from '../stats.js';
import type { NodeRuntimeServed } from './runtime.js';

export async function benchPeer(
  ctx: BenchContext,
  runtime: NodeRuntimeServed,
  sizeMb: number,
  kind: PayloadKind,
): Promise<Row> {
  const archive = await ctx.artifact(sizeMb, kind);
  const uri = ctx.server.serve(`/sidecars/peer-${kind}-${sizeMb}/bench-sidecar.tgz`, archive.path);
  const ours = await makeBuildpack(ctx.ws, {
    nodeUri: runtime.uri,
    nodeSha256: runtime.sha256,
    sidecar: { uri, sha256: archive.sha256, packagedFile: archive.path },
  });
  const peer = await makePeerBuildpack(ctx.ws, archive, EXECUTABLE);
  const app = await makeApp(ctx.ws, 'sidecar');
  const cacheDir = await ctx.ws.dir('cache');
  const depsDir = join(await ctx.ws.dir('deps'), 'deps');
  const run = { app, cacheDir, depsDir, env: ctx.env, expectLaunchYml: true };
  const subject = supplyCommand('supply (packaged sidecar)', {
    ...run,
    buildpack: ours,
    before: () => rm(join(cacheDir, 'dependencies'), { recursive: true, force: true }),
  });
  const baseline = supplyCommand('the bash peer', { ...run, buildpack: peer });
  const label = `${(archive.bytes / MB).toFixed(0)} MB ${kind === 'random' ? 'incompressible ' : ''}.tgz`;
  ctx.progress(`7: supply against the bash peer, ${label}`);
  const result = await compare(subject, baseline, {
    warmup: ctx.plan.warmup,
    runs: ctx.plan.supplyRuns(sizeMb),
  });
  const oursMs = result.subject.map((s) => s.wallMs);
  const peerMs = result.baseline.map((s) => s.wallMs);
  return {
    item: 7,
    measurement: `supply, ${label} sidecar packaged, against a bash supply buildpack`,
    unit: 'ms',
    ours: summarize(oursMs),
    baselineLabel: 'bench/peer/bin/supply (bash)',
    baseline: summarize(peerMs),
    ratio: pairedRatio(oursMs, peerMs),
    target: { kind: 'ratio', value: 1.0 },
  };
}
