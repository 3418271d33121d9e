/**
 * Item 1 for the other archive formats: a packaged `.tar.xz` and `.zip` sidecar of the bench's
 * 10 MB payload, against `sha256sum FILE && xz -dc FILE | tar x -C DIR` and
 * `sha256sum FILE && unzip -q FILE -d DIR`. Both were at 1.0x in round 1; the issue asks to keep
 * them there. They are made from the .tgz of the other rows with the stack's own tools.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { sha256OfFile } from '../artifacts.js';
import { makeApp, makeBuildpack } from '../buildpack.js';
import type { BenchContext } from '../context.js';
import { compare } from '../measure.js';
import type { Row } from '../report.js';
import { shellCommand, supplyCommand } from '../staging.js';
import { pairedRatio, summarize } from '../stats.js';
import type { NodeRuntimeServed } from './runtime.js';

type Format = 'tar.xz' | 'zip';

export async function benchFormats(
  ctx: BenchContext,
  runtime: NodeRuntimeServed,
  sizeMb: number,
): Promise<Row[]> {
  const tgz = await ctx.artifact(sizeMb, 'binary');
  const rows: Row[] = [];
  for (const format of ['tar.xz', 'zip'] as const) {
    const path = await convert(ctx, tgz.path, format);
    const sha256 = await sha256OfFile(path);
    const uri = ctx.server.serve(`/sidecars/format-${sizeMb}/bench-sidecar.${format}`, path);
    const buildpack = await makeBuildpack(ctx.ws, {
      nodeUri: runtime.uri,
      nodeSha256: runtime.sha256,
      sidecar: { uri, sha256, packagedFile: path },
    });
    const cacheDir = await ctx.ws.dir('cache');
    const subject = supplyCommand(`supply (packaged .${format})`, {
      buildpack,
      app: await makeApp(ctx.ws, 'sidecar'),
      cacheDir,
      depsDir: join(await ctx.ws.dir('deps'), 'deps'),
      env: ctx.env,
      expectLaunchYml: true,
      before: () => rm(join(cacheDir, 'dependencies'), { recursive: true, force: true }),
    });
    const floorDir = join(await ctx.ws.dir('floor'), 'out');
    const [label, script] =
      format === 'zip'
        ? [
            'sha256sum FILE && unzip -q FILE -d DIR',
            `sha256sum ${path} >/dev/null && unzip -q ${path} -d ${floorDir}`,
          ]
        : [
            'sha256sum FILE && xz -dc FILE | tar x -C DIR',
            `sha256sum ${path} >/dev/null && xz -dc ${path} | tar x -C ${floorDir}`,
          ];
    ctx.progress(`1: supply, ${sizeMb} MB .${format} packaged`);
    const result = await compare(subject, shellCommand(label, script, floorDir), {
      warmup: ctx.plan.warmup,
      runs: ctx.plan.supplyRuns(sizeMb),
    });
    const ours = result.subject.map((s) => s.wallMs);
    const floor = result.baseline.map((s) => s.wallMs);
    rows.push({
      item: 1,
      measurement: `supply, the ${sizeMb} MB payload as .${format}, packaged in the buildpack`,
      unit: 'ms',
      ours: summarize(ours),
      baselineLabel: label,
      baseline: summarize(floor),
      ratio: pairedRatio(ours, floor),
      target: { kind: 'ratio', value: 1.0 },
    });
    await rm(path, { force: true });
  }
  return rows;
}

/** The .tgz repacked as `format` next to it, with xz and zip as an app developer would. */
async function convert(ctx: BenchContext, tgz: string, format: Format): Promise<string> {
  const dir = await ctx.ws.dir(`format-${format}`);
  const out = join(dir, `${basename(tgz, '.tgz')}.${format}`);
  if (format === 'tar.xz') {
    execFileSync('bash', ['-c', `gzip -dc "${tgz}" | xz -1 -T1 > "${out}"`]);
  } else {
    const tree = join(dir, 'tree');
    await mkdir(tree);
    execFileSync('tar', ['xzf', tgz, '-C', tree]);
    execFileSync('zip', ['-q', '-r', '-1', out, '.'], { cwd: tree });
    await rm(tree, { recursive: true, force: true });
  }
  return out;
}
