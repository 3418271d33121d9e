/**
 * Item 4: what the shim, the runtime bootstrap (runtime already unpacked) and loading the bundle
 * cost on top of starting node: bin/detect and a supply with nothing to do, against `node -e 0`
 * with the same node binary. The shims answer detect alone for most apps (no sidecar config; a
 * Procfile web process; no start command at all), so the rows with the start command in
 * sidecars.yml and supply with an empty list are the ones that measure node and the bundle. The
 * fresh-container rows start with an empty TMPDIR and the runtime packaged as in the cached zip.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeApp, makeBuildpack } from '../buildpack.js';
import type { BenchContext } from '../context.js';
import { compare, type Command, type Comparison } from '../measure.js';
import type { Row, Target } from '../report.js';
import { supplyCommand } from '../staging.js';
import { pairedRatio, summarize } from '../stats.js';
import type { NodeRuntimeServed } from './runtime.js';

export async function benchStartup(
  ctx: BenchContext,
  runtime: NodeRuntimeServed,
  real: NodeRuntimeServed,
): Promise<Row[]> {
  const buildpack = await makeBuildpack(ctx.ws, {
    nodeUri: runtime.uri,
    nodeSha256: runtime.sha256,
  });
  const withSidecars = await makeApp(ctx.ws, 'sidecar');
  const empty = await makeApp(ctx.ws, 'empty');
  const plain = await makeApp(ctx.ws, 'none');
  const noStart = await makeApp(ctx.ws, 'no-start');
  const command = await makeApp(ctx.ws, 'command');
  const supplyIn = async (app: string): Promise<Command> =>
    supplyCommand('supply', {
      buildpack,
      app,
      cacheDir: await ctx.ws.dir('cache'),
      depsDir: join(await ctx.ws.dir('deps'), 'deps'),
      env: ctx.env,
      expectLaunchYml: false,
    });
  const nodeE0: Command = { label: 'node -e 0', file: ctx.node, args: ['-e', '0'], env: ctx.env };
  const subjects: { measurement: string; command: Command }[] = [
    {
      measurement: 'bin/detect, app with sidecars.yml and a Procfile web process (claimed in the shim)',
      command: {
        label: 'bin/detect',
        file: join(buildpack, 'bin', 'detect'),
        args: [withSidecars],
        env: ctx.env,
      },
    },
    {
      measurement: 'bin/detect, app without sidecars.yml (declines in the shim)',
      command: {
        label: 'bin/detect',
        file: join(buildpack, 'bin', 'detect'),
        args: [plain],
        env: ctx.env,
        expectExit: 1,
      },
    },
    {
      // In a fresh staging container the runtime is not unpacked yet (1.4 s for the cached zip's):
      // this answer needs none, so it costs the same there.
      measurement:
        'bin/detect, app with sidecars.yml and no start command (declines in the shim, fresh container too)',
      command: {
        label: 'bin/detect',
        file: join(buildpack, 'bin', 'detect'),
        args: [noStart],
        env: ctx.env,
        expectExit: 1,
      },
    },
    {
      measurement: 'bin/detect, start command in sidecars.yml (node + bundle parse it)',
      command: {
        label: 'bin/detect',
        file: join(buildpack, 'bin', 'detect'),
        args: [command],
        env: ctx.env,
      },
    },
    {
      measurement: 'bin/supply, sidecars.yml with an empty list (node + bundle, nothing to do)',
      command: await supplyIn(empty),
    },
    {
      measurement: 'bin/supply, app without sidecars.yml (answered by the shim)',
      command: await supplyIn(plain),
    },
  ];
  const rows: Row[] = [];
  for (const { measurement, command } of subjects) {
    ctx.progress(`4: ${measurement}`);
    const result = await compare(command, nodeE0, {
      warmup: ctx.plan.warmup + 2,
      runs: ctx.plan.startupRuns,
    });
    rows.push(againstNode(measurement, result, { kind: 'ratio', value: 1.3 }));
  }
  rows.push(...(await freshContainerDetect(ctx, real, withSidecars, command, nodeE0)));
  return rows;
}

/**
 * bin/detect in a fresh staging container: nothing unpacked in TMPDIR yet, the runtime packaged
 * in the buildpack as in the cached zip (the real node binary). An answer that needs the bundle
 * pays the runtime's unpack first; the shim's answers do not.
 */
async function freshContainerDetect(
  ctx: BenchContext,
  runtime: NodeRuntimeServed,
  withProcfile: string,
  command: string,
  nodeE0: Command,
): Promise<Row[]> {
  const buildpack = await makeBuildpack(ctx.ws, {
    nodeUri: runtime.uri,
    nodeSha256: runtime.sha256,
    nodePackagedFile: runtime.tarball,
  });
  const tmp = await ctx.ws.dir('fresh-tmp');
  const fresh = (app: string): Command => ({
    label: 'bin/detect (fresh container)',
    file: join(buildpack, 'bin', 'detect'),
    args: [app],
    env: { ...ctx.env, TMPDIR: tmp },
    before: () => emptyDir(tmp),
    after: () => emptyDir(tmp),
  });
  const rows: Row[] = [];
  for (const [measurement, app, target] of [
    ['bin/detect in a fresh container (cached zip), app with a Procfile web process', withProcfile, 100],
    ['bin/detect in a fresh container (cached zip), start command in sidecars.yml', command, undefined],
  ] as const) {
    ctx.progress(`4: ${measurement}`);
    const result = await compare(fresh(app), nodeE0, { warmup: 1, runs: ctx.plan.freshRuns });
    rows.push(againstNode(measurement, result, target ? { kind: 'median', value: target } : undefined));
  }
  return rows;
}

/** An item 4 row: wall times against `node -e 0`, run pairwise. */
function againstNode(measurement: string, result: Comparison, target: Target | undefined): Row {
  const ours = result.subject.map((s) => s.wallMs);
  const floor = result.baseline.map((s) => s.wallMs);
  return {
    item: 4,
    measurement,
    unit: 'ms',
    ours: summarize(ours),
    baselineLabel: 'node -e 0',
    baseline: summarize(floor),
    ratio: pairedRatio(ours, floor),
    ...(target ? { target } : {}),
  };
}

async function emptyDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}
