/**
 * Item 8: supply downloading 1, 5 and 20 sidecars of 5 MB each, against a serial loop of the
 * item 2 pipeline (`curl | tee >(sha256sum) | tar xz` per sidecar). Each sidecar has its own URL,
 * so nothing is shared; the server counts the requests that arrived while another was still
 * being answered, to show the fetch really is parallel.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EXECUTABLE } from '../artifacts.js';
import { makeBuildpack } from '../buildpack.js';
import { type BenchContext } from '../context.js';
import { compare } from '../measure.js';
import type { Row } from '../report.js';
import { shellCommand, supplyCommand } from '../staging.js';
import { pairedRatio, summarize } from '../stats.js';
import type { NodeRuntimeServed } from './runtime.js';

/** The goal of the issue for 20 sidecars; one sidecar is held to item 2's. */
const TARGET: Record<number, number> = { 1: 1.2, 20: 0.5 };

export async function benchManySidecars(
  ctx: BenchContext,
  runtime: NodeRuntimeServed,
  count: number,
  sizeMb: number,
): Promise<Row[]> {
  const archive = await ctx.artifact(sizeMb, 'random');
  const uris = Array.from({ length: count }, (_, i) =>
    ctx.server.serve(`/sidecars/many-${count}/s${i}/bench-sidecar.tgz`, archive.path),
  );
  const buildpack = await makeBuildpack(ctx.ws, {
    nodeUri: runtime.uri,
    nodeSha256: runtime.sha256,
  });
  const app = await ctx.ws.dir(`app-many-${count}`);
  await writeFile(join(app, 'Procfile'), 'web: ./server\n');
  const sidecars = uris.map((uri, i) => ({
    name: `s${i}`,
    uri,
    sha256: archive.sha256,
    command: `./${EXECUTABLE}`,
    memory: '16M',
  }));
  await writeFile(join(app, 'sidecars.yml'), stringify({ sidecars }));
  const cacheDir = await ctx.ws.dir('cache');
  const overlapped: number[] = [];
  const subject = supplyCommand(`supply, ${count} sidecars`, {
    buildpack,
    app,
    cacheDir,
    depsDir: join(await ctx.ws.dir('deps'), 'deps'),
    env: ctx.env,
    expectLaunchYml: true,
    before: async () => {
      await rm(join(cacheDir, 'dependencies'), { recursive: true, force: true });
      ctx.server.reset();
    },
  });
  const countOverlap = subject.after;
  subject.after = async () => {
    overlapped.push(ctx.server.overlapped());
    await countOverlap?.();
  };
  const floorDir = join(await ctx.ws.dir('floor'), 'out');
  const script = uris
    .map(
      (uri, i) =>
        `mkdir -p ${floorDir}/s${i} && curl -s ${uri} | tee >(sha256sum >/dev/null) | tar xz -C ${floorDir}/s${i}`,
    )
    .join('\n');
  const baselineLabel = 'for each: curl -s URL | tee >(sha256sum) | tar xz -C DIR';
  ctx.progress(`8: supply, ${count} sidecars of ${sizeMb} MB, downloaded`);
  const result = await compare(subject, shellCommand(baselineLabel, script, floorDir), {
    warmup: ctx.plan.warmup,
    runs: ctx.plan.manyRuns,
  });
  const ours = result.subject.map((s) => s.wallMs);
  const floor = result.baseline.map((s) => s.wallMs);
  const target = TARGET[count];
  const rows: Row[] = [
    {
      item: 8,
      measurement: `supply, ${count} incompressible ${sizeMb} MB sidecar${count > 1 ? 's' : ''} downloaded (loopback)`,
      unit: 'ms',
      ours: summarize(ours),
      baselineLabel,
      baseline: summarize(floor),
      ratio: pairedRatio(ours, floor),
      ...(target ? { target: { kind: 'ratio' as const, value: target } } : {}),
    },
  ];
  if (count > 1)
    rows.push({
      item: 8,
      measurement: `${count} sidecars: requests that arrived while another was being answered (of ${count - 1})`,
      unit: 'requests',
      // The warm-up runs counted too; only the measured runs are kept.
      ours: summarize(overlapped.slice(-ctx.plan.manyRuns)),
      // Serial fetching overlaps none; at least half of them shows the requests run side by side.
      target: { kind: 'min', value: Math.ceil((count - 1) / 2) },
    });
  return rows;
}
