/**
 * Turns a `-b` argument into a directory holding the buildpack's bin/, as the lifecycle does with
 * admin buildpacks (zips unpacked into their own directory) and custom ones: `bin/` must be at the
 * root, or inside the only top-level directory (a zip of a folder, a git archive).
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { exists } from '../exists.js';
import { StagingFailure, SUPPLY_FAIL } from './lifecycle-errors.js';
import { xxhash64Hex } from './xxhash64.js';

export interface Buildpack {
  /** The buildpack as named on the command line; the key in the staging result. */
  key: string;
  /** Directory whose bin/ holds the scripts. */
  dir: string;
}

/** XXH64 of the key, 16 hex digits: the lifecycle's name for a buildpack's download and cache dirs. */
export function keyDigest(key: string): string {
  return xxhash64Hex(key);
}

/** Unpacks a zip buildpack under `workDir`, or uses a directory in place. */
export async function prepareBuildpack(key: string, workDir: string): Promise<Buildpack> {
  const source = resolve(key);
  const info = await stat(source).catch(() => undefined);
  if (!info) throw new StagingFailure([SUPPLY_FAIL, `buildpack not found: ${key}`]);
  let dir = source;
  if (info.isFile()) {
    dir = join(workDir, 'buildpacks', keyDigest(key));
    await mkdir(dir, { recursive: true });
    await execa('unzip', ['-q', '-o', source, '-d', dir]);
  }
  return { key, dir: await findBinParent(dir, key) };
}

async function findBinParent(dir: string, key: string): Promise<string> {
  if (await exists(join(dir, 'bin'))) return dir;
  const entries = await readdir(dir);
  const only = entries.length === 1 ? join(dir, entries[0] ?? '') : undefined;
  if (only && (await exists(join(only, 'bin')))) return only;
  throw new StagingFailure([SUPPLY_FAIL, `malformed buildpack does not contain a /bin dir: ${key}`]);
}

/** Whether the buildpack ships `bin/<script>`. */
export function hasScript(buildpack: Buildpack, script: string): Promise<boolean> {
  return exists(join(buildpack.dir, 'bin', script));
}

export function scriptPath(buildpack: Buildpack, script: string): string {
  return join(buildpack.dir, 'bin', script);
}
