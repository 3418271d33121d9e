/**
 * Item 10: what Node.js costs a staging. The buildpack as a cell mounts it: read-only (where
 * this machine allows a mount namespace), the real node binary as the runtime, one packaged 10 MB
 * sidecar. Two layouts of the cached zip:
 *   - in place: scripts/package.sh's, the runtime's bin/node unpacked in the zip, run in place;
 *   - .tgz: buildpack-packager's (and this buildpack's before), the runtime as a .tgz that each
 *     new app's staging unpacks into CACHE_DIR.
 * Rows: a fresh staging container (empty CACHE_DIR and TMPDIR) against the bash peer (target
 * 2.5x), the bytes each leaves in CACHE_DIR (the app's build artifacts cache, uploaded after
 * every staging: target 1 MiB), and a restage with that cache warm, in place against .tgz (no
 * slower).
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { withReadOnly } from '../../tools/cf-local/staging/run-script.js';
import { EXECUTABLE } from '../artifacts.js';
import { makeApp, makeBuildpack, makePeerBuildpack } from '../buildpack.js';
import { MB, type BenchContext } from '../context.js';
import { compare, runOnce, type Command } from '../measure.js';
import type { Row } from '../report.js';
import { supplyCommand } from '../staging.js';
import { pairedRatio, summarize } from '../stats.js';
import type { NodeRuntimeServed } from './runtime.js';

/** Bytes of the files under `dir`. */
async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const empty = async (dir: string) => {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
};

/** `command` with the buildpack read-only and TMPDIR fresh; CACHE_DIR fresh too when `fresh`. */
function asOnACell(
  command: Command,
  buildpack: string,
  tmp: string,
  cacheDir: string,
  fresh: boolean,
): Command {
  const [file, args] = withReadOnly(buildpack, command.file, command.args);
  return {
    ...command,
    file,
    args,
    env: { ...command.env, TMPDIR: tmp },
    before: async () => {
      await empty(tmp);
      if (fresh) await empty(cacheDir);
      await command.before?.();
    },
  };
}

export async function benchFreshStaging(
  ctx: BenchContext,
  real: NodeRuntimeServed,
  sizeMb: number,
): Promise<Row[]> {
  const archive = await ctx.artifact(sizeMb, 'binary');
  const uri = ctx.server.serve(`/sidecars/fresh-${sizeMb}/bench-sidecar.tgz`, archive.path);
  const sidecar = { uri, sha256: archive.sha256, packagedFile: archive.path };
  const node = { nodeUri: real.uri, nodeSha256: real.sha256 };
  const layouts = {
    'in place': await makeBuildpack(ctx.ws, { ...node, nodeInPlace: ctx.node, sidecar }),
    '.tgz': await makeBuildpack(ctx.ws, { ...node, nodePackagedFile: real.tarball, sidecar }),
  };
  const peer = await makePeerBuildpack(ctx.ws, archive, EXECUTABLE);
  const app = await makeApp(ctx.ws, 'sidecar');
  const depsDir = join(await ctx.ws.dir('deps'), 'deps');
  const tmp = await ctx.ws.dir('fresh-tmp');
  const label = `${(archive.bytes / MB).toFixed(0)} MB .tgz`;
  const rows: Row[] = [];

  const cacheOf: Record<string, string> = {};
  const supply = (name: keyof typeof layouts, fresh: boolean): Command => {
    const cacheDir = (cacheOf[name] ??= join(ctx.ws.root, `cache-${name === '.tgz' ? 'tgz' : 'in-place'}`));
    const run = { app, cacheDir, depsDir, env: ctx.env, expectLaunchYml: true };
    return asOnACell(
      supplyCommand(`supply (${name})`, { ...run, buildpack: layouts[name] }),
      layouts[name],
      tmp,
      cacheDir,
      fresh,
    );
  };
  const peerCache = join(ctx.ws.root, 'cache-peer');
  const bashPeer = asOnACell(
    supplyCommand('the bash peer', {
      app,
      cacheDir: peerCache,
      depsDir,
      env: ctx.env,
      expectLaunchYml: true,
      buildpack: peer,
    }),
    peer,
    tmp,
    peerCache,
    true,
  );

  for (const name of ['in place', '.tgz'] as const) {
    ctx.progress(
      `10: supply in a fresh container (runtime ${name}), ${label} sidecar packaged, against the bash peer`,
    );
    const result = await compare(supply(name, true), bashPeer, {
      warmup: ctx.plan.warmup,
      runs: ctx.plan.freshRuns,
    });
    const ours = result.subject.map((s) => s.wallMs);
    const floor = result.baseline.map((s) => s.wallMs);
    rows.push({
      item: 10,
      measurement: `supply in a fresh staging container, cached zip with the runtime ${name === 'in place' ? 'unpacked, run in place' : 'as a .tgz'}, ${label} sidecar packaged, buildpack read-only`,
      unit: 'ms',
      ours: summarize(ours),
      baselineLabel: 'bench/peer/bin/supply (bash)',
      baseline: summarize(floor),
      ratio: pairedRatio(ours, floor),
      ...(name === 'in place' ? { target: { kind: 'ratio', value: 2.5 } as const } : {}),
    });
  }

  // CACHE_DIR after one fresh staging of each layout.
  const bytes: Record<string, number> = {};
  for (const name of ['in place', '.tgz'] as const) {
    await runOnce(supply(name, true));
    bytes[name] = await treeBytes(cacheOf[name] as string);
  }
  rows.push({
    item: 10,
    measurement:
      'bytes left in CACHE_DIR (the app build cache Cloud Controller stores) by that staging, runtime in place',
    unit: 'B',
    ours: summarize([bytes['in place'] as number]),
    baselineLabel: 'the same with the runtime as a .tgz',
    baseline: summarize([bytes['.tgz'] as number]),
    target: { kind: 'max', value: MB },
  });

  // A restage: CACHE_DIR as the first staging left it, TMPDIR fresh (a new container).
  ctx.progress('10: restage with a warm CACHE_DIR, runtime in place against .tgz');
  const warm = await compare(supply('in place', false), supply('.tgz', false), {
    warmup: ctx.plan.warmup,
    runs: ctx.plan.freshRuns,
  });
  const inPlace = warm.subject.map((s) => s.wallMs);
  const tgz = warm.baseline.map((s) => s.wallMs);
  rows.push({
    item: 10,
    measurement: `restage (warm CACHE_DIR, new container), runtime in place, ${label} sidecar packaged`,
    unit: 'ms',
    ours: summarize(inPlace),
    baselineLabel: 'the same with the runtime as a .tgz (as before)',
    baseline: summarize(tgz),
    ratio: pairedRatio(inPlace, tgz),
    target: { kind: 'ratio', value: 1.05 },
  });
  return rows;
}
