/**
 * Generates sidecar archives of a given size without holding them in memory: a tar stream is
 * written entry by entry (ustar headers built here) and gzipped on the way to disk.
 *
 * Two kinds of payload:
 * - `binary`: like a Go or native sidecar, a quarter random bytes and the rest drawn from a
 *   4-letter alphabet, which gzip shrinks to about half; one large executable plus small files.
 * - `random`: incompressible, so the .tgz is as large as what it unpacks to; for peak RSS.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export type PayloadKind = 'binary' | 'random';

export interface GeneratedArchive {
  path: string;
  sha256: string;
  /** Size of the .tgz. */
  bytes: number;
  /** Size of the files it unpacks to. */
  unpackedBytes: number;
  /** The executable at the archive root. */
  executable: string;
}

const BLOCK = 512;
const CHUNK = 1 << 20;
export const EXECUTABLE = 'bench-sidecar';
const SMALL_FILES = 50;
const SMALL_FILE_BYTES = 16 * 1024;

/** Writes a .tgz of about `unpackedBytes` of payload to `path`. */
export async function generateTgz(
  path: string,
  unpackedBytes: number,
  kind: PayloadKind,
): Promise<GeneratedArchive> {
  const small = Math.min(SMALL_FILES, Math.floor(unpackedBytes / 20 / SMALL_FILE_BYTES));
  const big = unpackedBytes - small * SMALL_FILE_BYTES;
  const entries: TarEntry[] = [
    { name: EXECUTABLE, size: big, mode: 0o755 },
    ...Array.from({ length: small }, (_, i) => ({
      name: `lib/part-${String(i).padStart(3, '0')}.dat`,
      size: SMALL_FILE_BYTES,
      mode: 0o644,
    })),
  ];
  await pipeline(Readable.from(tarStream(entries, kind)), createGzip({ level: 1 }), createWriteStream(path));
  return {
    path,
    sha256: await sha256OfFile(path),
    bytes: (await stat(path)).size,
    unpackedBytes,
    executable: EXECUTABLE,
  };
}

interface TarEntry {
  name: string;
  size: number;
  mode: number;
}

async function* tarStream(entries: TarEntry[], kind: PayloadKind): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    yield ustarHeader(entry);
    for (let left = entry.size; left > 0; left -= CHUNK) yield payload(Math.min(CHUNK, left), kind);
    const pad = (BLOCK - (entry.size % BLOCK)) % BLOCK;
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(BLOCK * 2);
}

function payload(size: number, kind: PayloadKind): Buffer {
  const bytes = randomBytes(size);
  if (kind === 'random') return bytes;
  // Keep the first quarter random; map the rest onto 'acgt' (2 bits of entropy per byte).
  for (let i = size >> 2; i < size; i++) bytes[i] = 0x61 + ((bytes[i] as number) & 3) * 2;
  return bytes;
}

/** A POSIX ustar header for a regular file. */
function ustarHeader(entry: TarEntry): Buffer {
  const header = Buffer.alloc(BLOCK);
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0') + '\0';
  header.write(entry.name, 0, 100, 'utf8');
  header.write(octal(entry.mode, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(entry.size, 12), 124, 'ascii');
  header.write(octal(Math.floor(Date.now() / 1000), 12), 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0' + '00', 257, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return header;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: CHUNK }), hash);
  return hash.digest('hex');
}
