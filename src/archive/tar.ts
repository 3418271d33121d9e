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
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Unpack, type ReadEntry } from 'tar';
import { UserError } from '../errors.js';
import type { UnpackBudget } from './limits.js';
import { checkEntryPath, checkLinkTarget, UnsafeArchiveError } from './safe-path.js';

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
  const unpack = new Unpack({
    cwd: dest,
    strict: true,
    preserveOwner: false,
    filter: (_path: string, entry: unknown) => {
      if (refusal) return false;
      try {
        checkEntry(entry as ReadEntry, name, budget);
        return true;
      } catch (error) {
        refusal = error as Error;
        return false;
      }
    },
  });
  try {
    if (compression === 'xz') await pipeline(decompressXz(archivePath, name), unpack);
    else {
      const file: Readable = createReadStream(archivePath, { highWaterMark: CHUNK_BYTES });
      if (compression === 'gzip') await pipeline(file, createGunzip({ chunkSize: CHUNK_BYTES }), unpack);
      else await pipeline(file, unpack);
    }
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

function checkEntry(entry: ReadEntry, name: string, budget: UnpackBudget): void {
  const checked = checkEntryPath(entry.path);
  if ('problem' in checked) throw new UnsafeArchiveError(name, entry.path, checked.problem);
  if (!ALLOWED_TYPES.has(entry.type))
    throw new UnsafeArchiveError(name, entry.path, `${entry.type} entries are not allowed`);
  if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
    const problem = checkLinkTarget(
      checked.path,
      entry.linkpath ?? '',
      entry.type === 'Link' ? 'hardlink' : 'symlink',
    );
    if (problem) throw new UnsafeArchiveError(name, entry.path, problem);
  }
  budget.take(entry.size ?? 0);
}

function decompressXz(archivePath: string, name: string): NodeJS.ReadableStream {
  const child = spawn('xz', ['-dc', '--', archivePath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('error', (error) =>
    child.stdout.destroy(new UserError(`${name}: cannot run xz to unpack it: ${error.message}`)),
  );
  child.on('close', (code) => {
    if (code)
      child.stdout.destroy(new UserError(`${name}: xz failed: ${stderr.trim() || `exit code ${code}`}`));
  });
  return child.stdout;
}
