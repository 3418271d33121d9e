/**
 * The packager's download cache: each dependency is fetched once per machine and reused by every
 * later packaging run, whatever the flavour, stack or mirror. Entries are addressed by sha256
 * (`<cacheDir>/<sha256>/<basename>`), so a cache entry is valid for any uri or mirror that
 * serves the same bytes, and it is re-hashed before use: a corrupted entry is replaced, never
 * packaged.
 */
import { copyFile, mkdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../errors.js';
import type { ManifestDependency } from '../dependencies/manifest-types.js';
import { download, type TransportOptions } from '../dependencies/download.js';
import { checksumMismatch, sha256OfFile } from '../dependencies/verify.js';
import type { Source } from './mirror.js';
import { uriBasename } from './packaged-path.js';
import { displayUrl } from '../log/redact.js';

export interface FetchReport {
  path: string;
  bytes: number;
  /** Where the bytes came from this time. */
  from: 'cache' | 'mirror directory' | 'download';
}

/** What the cache tells its caller while it works (log lines live with the caller). */
export interface CacheEvents {
  onReplaced?: (path: string) => void;
}

/** Returns the path of a verified copy of `dependency` in the cache, fetching it if needed. */
export async function cachedDependency(
  dependency: ManifestDependency,
  source: Source,
  cacheDir: string,
  transport: TransportOptions,
  events: CacheEvents = {},
): Promise<FetchReport> {
  const dest = join(cacheDir, dependency.sha256, uriBasename(dependency.uri));
  const label = `${dependency.name} ${dependency.version}`;
  const existing = await sizeOf(dest);
  if (existing !== undefined) {
    if ((await sha256OfFile(dest)) === dependency.sha256)
      return { path: dest, bytes: existing, from: 'cache' };
    await rm(dest, { force: true });
    events.onReplaced?.(dest);
  }
  const entryDir = join(cacheDir, dependency.sha256);
  await mkdir(entryDir, { recursive: true });
  try {
    if (source.kind === 'file') {
      await copyVerified(source.path, dest, dependency.sha256, label);
      return { path: dest, bytes: (await sizeOf(dest)) ?? 0, from: 'mirror directory' };
    }
    const { bytes } = await download(
      { url: source.url, dest, sha256: dependency.sha256, label },
      transport,
    ).catch((error: unknown) => {
      if (!(error instanceof UserError) || source.mirror === undefined) throw error;
      throw new UserError(`mirror ${displayUrl(source.mirror)}: ${error.message}`, {
        hint: `check that the mirror is up and serves the file manifest.yml pins, as ${uriBasename(dependency.uri)}`,
      });
    });
    return { path: dest, bytes, from: 'download' };
  } catch (error) {
    // No empty entry left behind; rmdir removes only an empty dir.
    await rmdir(entryDir).catch(() => undefined);
    throw error;
  }
}

/** Copies a mirror file into the cache only once its sha256 matches; no partial file survives. */
async function copyVerified(from: string, dest: string, sha256: string, label: string): Promise<void> {
  if ((await sizeOf(from)) === undefined) {
    throw new UserError(`${label} is not in the mirror directory: ${from} does not exist`, {
      hint: 'copy the file named after the basename of its manifest uri into the mirror directory',
    });
  }
  const actual = await sha256OfFile(from);
  if (actual !== sha256) {
    throw new UserError(checksumMismatch(label, sha256, actual).message, {
      file: from,
      hint: 'the mirror holds another file than the one manifest.yml pins; nothing was packaged',
    });
  }
  const temp = `${dest}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await copyFile(from, temp);
    await rename(temp, dest);
  } finally {
    await rm(temp, { force: true });
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}
