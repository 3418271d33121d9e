/**
 * `npm run bench`: measures staging against the physical floor (README, Performance), prints a
 * markdown table and writes it to bench/results.md (`--quick`: tiny sizes, to prove it runs).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { artifactStore, FULL_PLAN, QUICK_PLAN, type BenchContext } from './context.js';
import { benchPackaging } from './cases/packaging.js';
import { benchPeakRss } from './cases/peak-rss.js';
import { benchRestage } from './cases/restage.js';
import { serveNodeRuntime } from './cases/runtime.js';
import { benchFormats } from './cases/formats.js';
import { benchFreshStaging } from './cases/fresh-staging.js';
import { benchManySidecars } from './cases/many-sidecars.js';
import { benchPeer } from './cases/peer.js';
import { benchStartup } from './cases/startup.js';
import { benchSupply } from './cases/supply.js';
import { benchSupervision } from './cases/supervision.js';
import { parseOptions } from './options.js';
import { markdownTable, targetMet, type Row } from './report.js';
import { startCountingServer } from './server.js';
import { stackEnv } from './staging.js';
import { Workspace } from './workspace.js';

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const plan = { ...(options.quick ? QUICK_PLAN : FULL_PLAN) };
  if (options.supplySizesMb) plan.supplySizesMb = options.supplySizesMb;
  const wants = (item: number) => options.only.size === 0 || options.only.has(item);
  const ws = new Workspace();
  const server = await startCountingServer();
  const started = new Date();
  const loadBefore = loadavg()[0] ?? 0;
  const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);
  try {
    const ctx: BenchContext = {
      ws,
      server,
      env: await stackEnv(ws),
      node: process.env.BENCH_NODE || process.execPath,
      plan,
      progress,
      ...artifactStore(ws, progress),
    };
    const link = await serveNodeRuntime(ctx, false);
    const real =
      plan.realNodeTarball && (wants(4) || wants(5) || wants(6) || wants(10))
        ? await serveNodeRuntime(ctx, true)
        : link;
    // Packaging unpacks the runtime's bin/node into the zip: it must be the binary, not the link
    // the quick plan otherwise packs.
    const binary = real === link && (wants(6) || wants(10)) ? await serveNodeRuntime(ctx, true) : real;
    const rows: Row[] = [];
    const smallest = plan.supplySizesMb[0] as number;
    const largest = plan.supplySizesMb[plan.supplySizesMb.length - 1] as number;
    if (wants(4)) rows.push(...(await benchStartup(ctx, link, real)));
    for (const mb of plan.supplySizesMb) {
      if (wants(1) || wants(2)) rows.push(...(await benchSupply(ctx, link, mb)).filter((r) => wants(r.item)));
      if (mb === smallest && (wants(1) || wants(2)))
        rows.push(...(await benchSupply(ctx, link, mb, 'random')).filter((r) => wants(r.item)));
      if (mb === smallest && wants(1)) rows.push(...(await benchFormats(ctx, link, mb)));
      if (mb === smallest && wants(7)) {
        rows.push(await benchPeer(ctx, link, mb, 'binary'));
        rows.push(await benchPeer(ctx, link, mb, 'random'));
      }
      if (mb !== smallest && mb !== largest) await ctx.forget(mb, 'binary');
    }
    if (wants(8))
      for (const count of plan.manyCounts)
        rows.push(...(await benchManySidecars(ctx, link, count, plan.manySizeMb)));
    if (wants(5)) rows.push(...(await benchRestage(ctx, real, smallest)));
    if (wants(6)) rows.push(...(await benchPackaging(ctx, binary, largest)));
    await ctx.forget(largest, 'binary');
    if (wants(3)) rows.push(...(await benchPeakRss(ctx, link)));
    if (wants(9)) rows.push(...(await benchSupervision(ctx)));
    if (wants(10)) rows.push(...(await benchFreshStaging(ctx, binary, smallest)));

    const text = [
      `# Benchmark results${plan.quick ? ' (--quick: tiny sizes, not meaningful)' : ''}`,
      '',
      markdownTable(rows),
      '',
      environmentNote(ctx, started, loadBefore),
      '',
    ].join('\n');
    // Formatted as the repository's prettier would (aligned columns), so results.md passes lint.
    const report = await format(text, { ...(await resolveConfig(options.out)), parser: 'markdown' });
    console.log(report);
    await mkdir(dirname(options.out), { recursive: true });
    await writeFile(options.out, report);
    progress(`wrote ${options.out}`);
    const missed = rows.filter((r) => targetMet(r) === false);
    if (missed.length)
      progress(`targets missed: ${missed.map((r) => `${r.item} (${r.measurement})`).join('; ')}`);
    return 0;
  } finally {
    await server.close();
    await ws.remove();
  }
}

function environmentNote(ctx: BenchContext, started: Date, loadBefore: number): string {
  const cpu = cpus();
  return [
    `Run ${started.toISOString().slice(0, 16)}Z, ${ctx.plan.quick ? 'quick' : 'full'} plan; node ${process.version}` +
      ` for the bench, staging runtime ${ctx.node}${process.env.BENCH_BUILDPACK ? `, buildpack from ${process.env.BENCH_BUILDPACK}` : ''}; ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'};` +
      ` load average ${loadBefore.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end (the machine is shared).`,
    'Times are wall clock from spawn to exit. Each ratio is the median (min-max) of per-pair ratios: subject and',
    'baseline ran back to back, alternating which went first, after a warm-up; the machine is shared,',
    'so absolute times are only indicative. Peak RSS is that of the supply process and the children it waits for.',
  ].join('\n');
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
