/**
 * Turns a `-b` argument into a directory holding the buildpack's bin/, as the lifecycle does with
 * admin buildpacks (zips unpacked into their own directory) and custom ones: `bin/` must be at the
 * root, or inside the only top-level directory (a zip of a folder, a git archive).
 *
 * A zip is unpacked once and reused by every later staging, as a cell's executor keeps an admin
 * buildpack (cf-contract section 9): in $TMPDIR/cf-local-buildpacks/, keyed by the zip's path,
 * size and mtime, at most KEEP_UNPACKED of them (the oldest go). Staging then mounts the
 * buildpack read-only (run-script.ts), so a buildpack that writes into its own dir fails here as
 * on a cell.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { exists } from '../exists.js';
import { keepNewest, touch } from '../keep-newest.js';
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
  const dir = info.isFile() ? await unpackedOnce(source, info.size, info.mtimeMs, workDir) : source;
  return { key, dir: await findBinParent(dir, key) };
}

/** Unpacked zips kept between stagings (each up to a cached buildpack's 100+ MB). */
export const KEEP_UNPACKED = 8;

export function unpackedZipsDir(): string {
  return join(tmpdir(), 'cf-local-buildpacks');
}

async function unpackedOnce(zip: string, size: number, mtimeMs: number, workDir: string): Promise<string> {
  const root = unpackedZipsDir();
  const dir = join(root, `${keyDigest(zip)}-${size}-${Math.floor(mtimeMs)}`);
  if (await exists(dir)) {
    await touch(dir);
    return dir;
  }
  // Unpacked beside, then renamed: a staging running at the same time sees all of it or none.
  const temp = join(workDir, 'unpacking', keyDigest(zip));
  await mkdir(temp, { recursive: true });
  await execa('unzip', ['-q', '-o', zip, '-d', temp]);
  await mkdir(root, { recursive: true });
  await rename(temp, dir).catch(async () => {
    if (!(await exists(dir))) throw new StagingFailure([SUPPLY_FAIL, `cannot unpack buildpack ${zip}`]);
    await rm(temp, { recursive: true, force: true });
  });
  await keepNewest(root, KEEP_UNPACKED);
  return dir;
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
