/**
 * Unpacks tar archives (plain, gzip, or xz via the stack's `xz`) with the `tar` package, refusing
 * unsafe entries: outward paths and links, device files, FIFOs, and more bytes than the budget.
 *
 * gzip is inflated by node's own zlib stream, which runs on libuv's thread pool, rather than by
 * the `tar` package, which would inflate synchronously on the main thread: so inflating and
 * parsing/writing entries use two cores, as `tar xzf` does with its gzip child (bench item 1).
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Unpack, type ReadEntry } from 'tar';
import { diskFullError, UserError } from '../errors.js';
import { scavengeEvery } from '../fs/release-buffers.js';
import type { UnpackBudget } from './limits.js';
import { ArchiveSymlinks, checkEntryPath, checkLinkTarget, UnsafeArchiveError } from './safe-path.js';

export type TarCompression = 'none' | 'gzip' | 'xz';

/**
 * Large reads and inflated chunks: fewer, bigger writes per entry (zlib's default is 16 KiB).
 * 1 MiB was no faster, and its buffers took the peak RSS of a 100 MB unpack from 77 to 86 MB.
 */
const CHUNK_BYTES = 1 << 18;

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

export async function extractTar(
  archivePath: string,
  name: string,
  dest: string,
  budget: UnpackBudget,
  compression: TarCompression,
  signal?: AbortSignal,
): Promise<void> {
  let refusal: Error | undefined;
  let stop: (why: Error | 'end') => void = () => undefined;
  const symlinks = new ArchiveSymlinks();
  // Symlinks are made after every other entry, by us: node-tar deadlocks on some (`d/e/z` ->
  // `d` never settles), and no entry may go through an archive's symlink anyway, so no entry
  // needs one to exist while it is written.
  const links: { path: string; target: string }[] = [];
  const source: Readable =
    compression === 'xz'
      ? decompressXz(archivePath, name)
      : createReadStream(archivePath, { highWaterMark: CHUNK_BYTES });
  const unpack = new Unpack({
    cwd: dest,
    strict: true,
    preserveOwner: false,
    filter: (_path: string, entry: unknown) => {
      if (refusal) return false;
      try {
        const read = entry as ReadEntry;
        const path = checkEntry(read, name, budget, symlinks);
        // No setuid, setgid or sticky bits in a droplet: zip entries never carry them, nor do these.
        if (read.mode !== undefined) read.mode &= 0o777;
        if (read.type === 'SymbolicLink') {
          links.push({ path, target: read.linkpath ?? '' });
          return false;
        }
        return true;
      } catch (error) {
        stop(error as Error);
        return false;
      }
    },
  });
  // The streams are wired by hand, because the extraction must be able to stop early and still
  // settle only once every write has: at a refused entry (the rest of a bomb is never inflated),
  // at SIGTERM, and at the end-of-archive marker (two zero blocks), where GNU tar stops too.
  // Past that marker node-tar would buffer whatever follows (a .tgz of 200 MB of zeros after a
  // tiny tar took 15 s and 580 MB) and an xz that never exits would hang staging. Stopping ends
  // the file and the decompressor without waiting for them (a read in flight on a pipe that never
  // ends would never return), then lets the unpacker finish its last writes: only then is the
  // extraction over, so a clean-up never races a write (ENOTEMPTY, files left behind).
  const gunzip = compression === 'gzip' ? createGunzip({ chunkSize: CHUNK_BYTES }) : undefined;
  const head: Readable = gunzip ? source.pipe(gunzip) : source;
  const scavenge = scavengeEvery();
  head.on('data', (chunk: Buffer) => scavenge(chunk.length));
  const settled = new Promise<void>((resolve, reject) => {
    let stopped = false;
    stop = (why) => {
      if (stopped) return;
      stopped = true;
      if (why !== 'end') refusal = why;
      head.unpipe(unpack);
      source.destroy();
      gunzip?.destroy();
      unpack.end();
    };
    const upstreamFailed = (error: unknown) => {
      if (!stopped) reject(error);
    };
    source.on('error', upstreamFailed);
    gunzip?.on('error', upstreamFailed);
    unpack.on('error', (error: unknown) => (refusal ? resolve() : reject(error)));
    // Entries node-tar skips without a word (GNU sparse files, type S): refused, never lost. (The
    // entries the filter above turned down come here too: symlinks, made later, and refusals.)
    unpack.on('ignoredEntry', (entry: ReadEntry) => {
      if (!refusal && !ALLOWED_TYPES.has(entry.type))
        stop(new UnsafeArchiveError(name, entry.path, notUnpacked(entry.type)));
    });

    unpack.on('close', () => resolve());
    unpack.on('eof', () => stop('end'));
    head.pipe(unpack);
  });
  const onAbort = () => stop(signal?.reason as Error);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await settled;
  } catch (error) {
    if (error instanceof UserError || diskFullError(error)) throw error;
    throw new UserError(
      `${name}: cannot be unpacked as a ${compression === 'xz' ? 'tar.xz' : 'tar'} archive: ${(error as Error).message}`,
      {
        hint: 'The file may be damaged or not the archive format its name says.',
      },
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (refusal) throw refusal;
  for (const link of links) await makeSymlink(dest, link, name);
}

async function makeSymlink(
  dest: string,
  link: { path: string; target: string },
  name: string,
): Promise<void> {
  const at = join(dest, link.path);
  await mkdir(dirname(at), { recursive: true });
  await symlink(link.target, at).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST')
      throw new UnsafeArchiveError(
        name,
        link.path,
        'the same path is written twice (possibly through a link)',
      );
    throw error;
  });
}

function notUnpacked(type: string): string {
  return type === 'SparseFile'
    ? 'is a sparse file, which the buildpack does not unpack; pack the archive without --sparse (-S)'
    : `${type} entries are not allowed`;
}

/** Refuses an unsafe entry; returns its normalised path. */
function checkEntry(entry: ReadEntry, name: string, budget: UnpackBudget, symlinks: ArchiveSymlinks): string {
  const checked = checkEntryPath(entry.path);
  if ('problem' in checked) throw new UnsafeArchiveError(name, entry.path, checked.problem);
  const crossing = symlinks.problemWith(checked.path);
  if (crossing) throw new UnsafeArchiveError(name, entry.path, crossing);
  if (!ALLOWED_TYPES.has(entry.type)) throw new UnsafeArchiveError(name, entry.path, notUnpacked(entry.type));
  // GNU tar's PAX sparse format stores a sparse file under GNUSparseFile.<n>/ with its real name
  // in headers node-tar does not read: it would be installed at that made-up path, with holes lost.
  if (checked.path.split('/').some((part) => /^GNUSparseFile\.\d+$/.test(part)))
    throw new UnsafeArchiveError(name, entry.path, notUnpacked('SparseFile'));
  if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
    if (checked.path === '' || checked.path === '.')
      throw new UnsafeArchiveError(
        name,
        entry.path,
        "is a link in the place of the archive's top directory itself, which the sidecar is unpacked into",
      );
    const problem = checkLinkTarget(
      checked.path,
      entry.linkpath ?? '',
      entry.type === 'Link' ? 'hardlink' : 'symlink',
    );
    const target = posix.normalize(entry.linkpath ?? '');
    const linkCrossing =
      entry.type !== 'Link'
        ? undefined
        : symlinks.has(target)
          ? `hardlink to the symlink ${JSON.stringify(target)} of the archive`
          : symlinks.problemWith(target);
    if (problem || linkCrossing)
      throw new UnsafeArchiveError(name, entry.path, (problem ?? linkCrossing) as string);
    if (entry.type === 'SymbolicLink') symlinks.add(checked.path);
  }
  budget.takeEntry(entry.size ?? 0);
  return checked.path;
}

function decompressXz(archivePath: string, name: string): Readable {
  const child = spawn('xz', ['-dc', '--', archivePath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('error', (error) =>
    child.stdout.destroy(new UserError(`${name}: cannot run xz to unpack it: ${error.message}`)),
  );
  child.stdout.on('close', () => child.kill());
  child.on('close', (code) => {
    if (code)
      child.stdout.destroy(new UserError(`${name}: xz failed: ${stderr.trim() || `exit code ${code}`}`));
  });
  return child.stdout;
}
