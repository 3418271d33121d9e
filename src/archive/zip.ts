/**
 * Unpacks zip archives with yauzl (streaming, one entry at a time), with the same refusals as
 * tar.ts. Unix modes and symlinks come from the entries' external attributes.
 */
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { diskFullError, UserError } from '../errors.js';
import type { UnpackBudget } from './limits.js';
import {
  ArchiveSymlinks,
  checkEntryPath,
  checkLinkTarget,
  MAX_LINK_TARGET_BYTES,
  UnsafeArchiveError,
} from './safe-path.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

export async function extractZip(
  archivePath: string,
  name: string,
  dest: string,
  budget: UnpackBudget,
  signal?: AbortSignal,
): Promise<void> {
  const zip = await new Promise<ZipFile>((resolve, reject) =>
    yauzl.open(
      archivePath,
      { lazyEntries: true, decodeStrings: true, strictFileNames: false, validateEntrySizes: true },
      (error, file) => (error ? reject(damaged(name, error)) : resolve(file)),
    ),
  );
  const symlinks = new ArchiveSymlinks();
  try {
    for (;;) {
      signal?.throwIfAborted();
      const entry = await nextEntry(zip, name);
      if (!entry) break;
      await extractEntry(zip, entry, name, dest, budget, symlinks, signal);
    }
  } finally {
    zip.close();
  }
}

function nextEntry(zip: ZipFile, name: string): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const onEntry = (entry: Entry) => done(() => resolve(entry));
    const onEnd = () => done(() => resolve(undefined));
    const onError = (error: Error) => done(() => reject(damaged(name, error)));
    const done = (fn: () => void) => {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
      fn();
    };
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zip.readEntry();
  });
}

async function extractEntry(
  zip: ZipFile,
  entry: Entry,
  name: string,
  dest: string,
  budget: UnpackBudget,
  symlinks: ArchiveSymlinks,
  signal: AbortSignal | undefined,
): Promise<void> {
  const checked = checkEntryPath(entry.fileName);
  if ('problem' in checked) throw new UnsafeArchiveError(name, entry.fileName, checked.problem);
  if (checked.path === '') return;
  const crossing = symlinks.problemWith(checked.path);
  if (crossing) throw new UnsafeArchiveError(name, entry.fileName, crossing);
  const target = join(dest, checked.path);
  const unixMode = (entry.externalFileAttributes >>> 16) & 0xffff;
  const type = unixMode & S_IFMT;
  const isDir = entry.fileName.endsWith('/') || type === S_IFDIR;

  if (isDir) {
    budget.takeEntry(0);
    await mkdir(target, { recursive: true });
    return;
  }
  if (type !== 0 && type !== S_IFREG && type !== S_IFLNK) {
    throw new UnsafeArchiveError(
      name,
      entry.fileName,
      'special files (devices, FIFOs, sockets) are not allowed',
    );
  }
  budget.takeEntry(entry.uncompressedSize);
  await mkdir(dirname(target), { recursive: true });
  const stream = await openEntry(zip, entry, name);

  if (type === S_IFLNK) {
    const linkTarget = await readAll(stream, MAX_LINK_TARGET_BYTES);
    if (linkTarget === undefined)
      throw new UnsafeArchiveError(
        name,
        entry.fileName,
        `symlink target is longer than the system's limit of ${MAX_LINK_TARGET_BYTES} bytes (PATH_MAX less its NUL)`,
      );
    const problem = checkLinkTarget(checked.path, linkTarget, 'symlink');
    if (problem) throw new UnsafeArchiveError(name, entry.fileName, problem);
    await symlink(linkTarget, target);
    symlinks.add(checked.path);
    return;
  }
  try {
    await pipeline(stream, createWriteStream(target, { flags: 'wx' }), { signal });
  } catch (error) {
    signal?.throwIfAborted();
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UnsafeArchiveError(
        name,
        entry.fileName,
        'the same path is written twice (possibly through a link)',
      );
    }
    if (diskFullError(error)) throw error;
    throw damaged(name, error as Error);
  }
  const permissions = unixMode & 0o777;
  await chmod(target, permissions ? permissions | 0o600 : 0o644);
}

function openEntry(zip: ZipFile, entry: Entry, name: string): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(damaged(name, error)) : resolve(stream))),
  );
}

/** The stream's text, or undefined (the stream destroyed) once it is longer than `max`. */
/** The stream's text, or undefined past `maxBytes` (read no further). */
async function readAll(stream: Readable, maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (bytes > maxBytes) {
      stream.destroy();
      return undefined;
    }
  }
  return Buffer.concat(chunks).toString();
}

function damaged(name: string, error: Error): UserError {
  // yauzl checks entry names itself while reading the directory; report its refusals as ours.
  const unsafe = /^(invalid relative path|absolute path): (.*)$/.exec(error.message);
  if (unsafe) {
    const problem = unsafe[1] === 'absolute path' ? 'absolute path' : 'path contains ".."';
    return new UnsafeArchiveError(name, unsafe[2] as string, problem);
  }
  return new UserError(`${name}: cannot be unpacked as a zip archive: ${error.message}`, {
    hint: 'The file may be damaged or not a zip archive.',
  });
}
