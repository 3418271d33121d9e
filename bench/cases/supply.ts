/**
 * Items 1 and 2: supply installing one .tgz sidecar, against the floor of doing the same with the
 * stack's tools. 1: the sidecar is packaged in the buildpack (`file:`, the cached zip), floor
 * `sha256sum FILE && tar xzf FILE -C DIR`. 2: it is downloaded from a loopback server, floor
 * `curl | tee >(sha256sum) | tar xz` (bash does not wait for the checksum's process substitution,
 * a small head start for the floor). The bench's `binary` payload gzips to about half; the
 * `random` one (incompressible, as a compressed binary is) makes the unpack cheap for tar and
 * leaves the fixed costs in plain view.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PayloadKind } from '../artifacts.js';
import { makeApp, makeBuildpack } from '../buildpack.js';
import { MB, type BenchContext } from '../context.js';
import { compare } from '../measure.js';
import type { Row } from '../report.js';
import { shellCommand, supplyCommand } from '../staging.js';
import { pairedRatio, summarize } from '../stats.js';
import type { NodeRuntimeServed } from './runtime.js';

export async function benchSupply(
  ctx: BenchContext,
  runtime: NodeRuntimeServed,
  sizeMb: number,
  kind: PayloadKind = 'binary',
): Promise<Row[]> {
  const archive = await ctx.artifact(sizeMb, kind);
  const label = `${(archive.bytes / MB).toFixed(0)} MB ${kind === 'random' ? 'incompressible ' : ''}.tgz`;
  const uri = ctx.server.serve(`/sidecars/bench-${kind}-${sizeMb}/bench-sidecar.tgz`, archive.path);
  const app = await makeApp(ctx.ws, 'sidecar');
  const runs = { warmup: ctx.plan.warmup, runs: ctx.plan.supplyRuns(sizeMb) };
  const rows: Row[] = [];

  for (const packaged of [true, false]) {
    const buildpack = await makeBuildpack(ctx.ws, {
      nodeUri: runtime.uri,
      nodeSha256: runtime.sha256,
      sidecar: { uri, sha256: archive.sha256, ...(packaged ? { packagedFile: archive.path } : {}) },
    });
    const cacheDir = await ctx.ws.dir('cache');
    const depsDir = join(await ctx.ws.dir('deps'), 'deps');
    const floorDir = join(await ctx.ws.dir('floor'), 'out');
    const subject = supplyCommand(packaged ? 'supply (packaged sidecar)' : 'supply (download)', {
      buildpack,
      app,
      cacheDir,
      depsDir,
      env: ctx.env,
      expectLaunchYml: true,
      // The node runtime stays unpacked in the cache (a restage); the sidecar is fetched every run.
      before: () => rm(join(cacheDir, 'dependencies'), { recursive: true, force: true }),
    });
    const floorScript = packaged
      ? `sha256sum ${archive.path} >/dev/null && tar xzf ${archive.path} -C ${floorDir}`
      : `curl -s ${uri} | tee >(sha256sum >/dev/null) | tar xz -C ${floorDir}`;
    const baselineLabel = packaged
      ? 'sha256sum FILE && tar xzf FILE -C DIR'
      : 'curl -s URL | tee >(sha256sum) | tar xz -C DIR';
    ctx.progress(`${packaged ? 1 : 2}: supply, ${label} ${packaged ? 'packaged' : 'downloaded'}`);
    const result = await compare(subject, shellCommand(baselineLabel, floorScript, floorDir), runs);
    const ours = result.subject.map((s) => s.wallMs);
    const floor = result.baseline.map((s) => s.wallMs);
    rows.push({
      item: packaged ? 1 : 2,
      measurement: `supply, ${label} sidecar ${packaged ? 'packaged in the buildpack' : 'downloaded (loopback)'}`,
      unit: 'ms',
      ours: summarize(ours),
      baselineLabel,
      baseline: summarize(floor),
      ratio: pairedRatio(ours, floor),
      target: { kind: 'ratio', value: 1.2 },
    });
  }
  return rows;
}
