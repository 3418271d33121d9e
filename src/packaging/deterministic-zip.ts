/**
 * Writes a zip whose bytes depend only on its entries: entries sorted by path, one fixed
 * timestamp, modes reduced to 0644/0755, no owner ids. Packaging the same tree twice therefore
 * gives the same sha256, which lets operators and CI compare a published zip with a rebuild.
 *
 * The timestamp is stored only in the DOS fields (`forceDosTimestamp`), built from local date
 * parts: yazl encodes DOS times in local time, so this is the one way the bytes do not depend on
 * the packager's time zone.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

/** 1980-01-01 00:00:00, the earliest DOS timestamp (also what Python wheels and Debian use). */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

export interface ZipEntry {
  /** Path inside the zip, `/`-separated, relative. */
  path: string;
  /** Where the bytes come from. */
  source: { file: string } | { buffer: Buffer };
  executable: boolean;
  /** Deflate the entry; off for archives that are already compressed (.tgz, .zip). */
  compress: boolean;
}

/** Writes `entries` to `dest` (atomically: a temp file renamed into place). */
export async function writeDeterministicZip(entries: ZipEntry[], dest: string): Promise<void> {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  assertUnique(sorted);
  const zip = new yazl.ZipFile();
  for (const entry of sorted) {
    const options = {
      mtime: FIXED_MTIME,
      mode: entry.executable ? 0o100755 : 0o100644,
      compress: entry.compress,
      forceDosTimestamp: true,
    };
    if ('file' in entry.source) zip.addFile(entry.source.file, entry.path, options);
    else zip.addBuffer(entry.source.buffer, entry.path, options);
  }
  zip.end();
  const temp = `${dest}.partial-${process.pid}`;
  try {
    await pipeline(zip.outputStream, createWriteStream(temp));
    await rename(temp, dest);
  } finally {
    await rm(temp, { force: true });
  }
}

function assertUnique(sorted: ZipEntry[]): void {
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]?.path === sorted[i - 1]?.path)
      throw new Error(`failed to write zip: ${sorted[i]?.path} is listed twice`);
  }
}

/** Already-compressed artifacts gain nothing from deflate and cost time; store them as is. */
export function isCompressed(path: string): boolean {
  return /\.(tgz|gz|xz|bz2|zst|zip|jar|war)$/i.test(path);
}
