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
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Unpack, type ReadEntry } from 'tar';
import { UserError } from '../errors.js';
import type { UnpackBudget } from './limits.js';
import { ArchiveSymlinks, checkEntryPath, checkLinkTarget, UnsafeArchiveError } from './safe-path.js';

export type TarCompression = 'none' | 'gzip' | 'xz';

/** Large reads and inflated chunks: fewer, bigger writes per entry (zlib's default is 16 KiB). */
const CHUNK_BYTES = 1 << 20;

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

export async function extractTar(
  archivePath: string,
  name: string,
  dest: string,
  budget: UnpackBudget,
  compression: TarCompression,
): Promise<void> {
  let refusal: Error | undefined;
  let stopOnRefusal: (error: Error) => void = () => undefined;
  const refused = new Promise<never>((_resolve, reject) => (stopOnRefusal = reject));
  const symlinks = new ArchiveSymlinks();
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
        checkEntry(entry as ReadEntry, name, budget, symlinks);
        // No setuid, setgid or sticky bits in a droplet: zip entries never carry them, nor do these.
        const read = entry as ReadEntry;
        if (read.mode !== undefined) read.mode &= 0o777;
        return true;
      } catch (error) {
        refusal = error as Error;
        // Stop reading (and decompressing) at once: the rest of a bomb is never inflated.
        process.nextTick(() => source.destroy(refusal));
        stopOnRefusal(refusal);
        return false;
      }
    },
  });
  const unpacked =
    compression === 'gzip'
      ? pipeline(source, createGunzip({ chunkSize: CHUNK_BYTES }), unpack)
      : pipeline(source, unpack);
  // A refusal ends the extraction at once. With gzip inflating on the thread pool, the file
  // stream may already have its next read in flight, and a destroyed stream closes only once
  // that read returns (never, for a pipe that never ends): the pipeline settles later, alone.
  unpacked.catch(() => undefined);
  refused.catch(() => undefined);
  try {
    await Promise.race([unpacked, refused]);
  } catch (error) {
    if (refusal) throw refusal;
    if (error instanceof UserError) throw error;
    throw new UserError(
      `${name}: cannot be unpacked as a ${compression === 'xz' ? 'tar.xz' : 'tar'} archive: ${(error as Error).message}`,
      {
        hint: 'The file may be damaged or not the archive format its name says.',
      },
    );
  }
  if (refusal) throw refusal;
}

function checkEntry(entry: ReadEntry, name: string, budget: UnpackBudget, symlinks: ArchiveSymlinks): void {
  const checked = checkEntryPath(entry.path);
  if ('problem' in checked) throw new UnsafeArchiveError(name, entry.path, checked.problem);
  const crossing = symlinks.problemWith(checked.path);
  if (crossing) throw new UnsafeArchiveError(name, entry.path, crossing);
  if (!ALLOWED_TYPES.has(entry.type))
    throw new UnsafeArchiveError(name, entry.path, `${entry.type} entries are not allowed`);
  if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
    const problem = checkLinkTarget(
      checked.path,
      entry.linkpath ?? '',
      entry.type === 'Link' ? 'hardlink' : 'symlink',
    );
    const linkCrossing =
      entry.type === 'Link' ? symlinks.problemWith(posix.normalize(entry.linkpath ?? '')) : undefined;
    if (problem || linkCrossing)
      throw new UnsafeArchiveError(name, entry.path, (problem ?? linkCrossing) as string);
    if (entry.type === 'SymbolicLink') symlinks.add(checked.path);
  }
  budget.takeEntry(entry.size ?? 0);
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
