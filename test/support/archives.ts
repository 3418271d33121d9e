/**
 * Builds real archives for tests: .tgz and .tar.xz with the system tar, .zip with the system zip,
 * from a map of file names to contents (and modes); and hostile ones (rawTar, rawZip) byte by byte.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { tempDir } from './tmp.js';

export interface ArchiveEntry {
  content: string | Buffer;
  /** e.g. 0o755 for an executable. */
  mode?: number;
}

export type ArchiveFormat = 'tgz' | 'tar.xz' | 'zip';

/** Writes `files` into a fresh dir and returns its path. */
export async function writeTree(files: Record<string, ArchiveEntry | string>): Promise<string> {
  const dir = await tempDir('tree-');
  for (const [name, entry] of Object.entries(files)) {
    const { content, mode } = typeof entry === 'string' ? { content: entry, mode: undefined } : entry;
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    if (mode !== undefined) await chmod(path, mode);
  }
  return dir;
}

/** Packs `files` into `outPath` (its parent must exist) in the given format. */
export async function makeArchive(
  outPath: string,
  files: Record<string, ArchiveEntry | string>,
  format: ArchiveFormat = 'tgz',
): Promise<string> {
  const dir = await writeTree(files);
  if (format === 'zip') {
    await execa('zip', ['-qr', '-X', outPath, '.'], { cwd: dir });
  } else {
    await execa('tar', [format === 'tgz' ? '-czf' : '-cJf', outPath, '-C', dir, '.']);
  }
  return outPath;
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

export function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

export { basename };

/** One entry of a hand-built archive: what system tools refuse to make, attacks included. */
export interface RawEntry {
  path: string;
  /** `pax`: an extended header for the entry after it (rawTar writes these itself when needed). */
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo' | 'pax';
  content?: string | Buffer;
  /** Target of a symlink or hardlink. */
  linkpath?: string;
  mode?: number;
}

const TAR_TYPE: Record<RawEntry['type'], string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  'char-device': '3',
  'block-device': '4',
  dir: '5',
  fifo: '6',
  pax: 'x',
};

/** A PAX record, `<length> key=value\n`, whose length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body);
  while (String(length).length + Buffer.byteLength(body) !== length)
    length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

/**
 * A ustar archive written byte by byte, so any entry (`../x`, devices, odd links) can be in it.
 * A path or link target longer than ustar's 100 bytes goes into a PAX header before its entry.
 */
export function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const long = [
      ...(Buffer.byteLength(entry.path) > 100 ? [paxRecord('path', entry.path)] : []),
      ...(Buffer.byteLength(entry.linkpath ?? '') > 100 ? [paxRecord('linkpath', entry.linkpath ?? '')] : []),
    ];
    if (long.length > 0)
      blocks.push(rawTar([{ path: 'PaxHeader', type: 'pax', content: long.join('') }]).subarray(0, -1024));
    const content =
      entry.type === 'file' || entry.type === 'pax' ? Buffer.from(entry.content ?? '') : Buffer.alloc(0);
    const header = Buffer.alloc(512);
    const put = (text: string, offset: number, length: number) =>
      header.write(text, offset, Math.min(length, Buffer.byteLength(text)), 'utf8');
    const octal = (value: number, offset: number, length: number) =>
      put(value.toString(8).padStart(length - 1, '0') + '\0', offset, length);
    put(entry.path, 0, 100);
    octal(entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644), 100, 8);
    octal(0, 108, 8);
    octal(0, 116, 8);
    octal(content.length, 124, 12);
    octal(1_700_000_000, 136, 12);
    header.fill(' ', 148, 156);
    put(TAR_TYPE[entry.type], 156, 1);
    put(entry.linkpath ?? '', 157, 100);
    put('ustar\0' + '00', 257, 8);
    const sum = header.reduce((total, byte) => total + byte, 0);
    put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
    blocks.push(header, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** Writes rawTar(entries) to `outPath`, gzip- or xz-compressed (xz by the system tool). */
export async function writeRawTar(outPath: string, entries: RawEntry[], format: 'tgz' | 'tar.xz' = 'tgz') {
  const tar = rawTar(entries);
  if (format === 'tgz') await writeFile(outPath, gzipSync(tar));
  else await writeFile(outPath, (await execa('xz', ['-c'], { input: tar, encoding: 'buffer' })).stdout);
  return outPath;
}

export interface RawZipEntry {
  path: string;
  /** Unix mode with its type bits, e.g. 0o100644 (file), 0o120777 (symlink), 0o010644 (FIFO). */
  mode: number;
  /** The file's bytes, or a symlink's target. */
  content?: string | Buffer;
  /** Claim this uncompressed size in the headers instead of the real one (a lying zip). */
  declaredSize?: number;
}

/** A zip written byte by byte (entries deflated), so any mode, link or size claim can be in it. */
export function rawZip(entries: RawZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = Buffer.from(entry.content ?? '');
    const compressed = deflateRawSync(data);
    const name = Buffer.from(entry.path);
    const size = entry.declaredSize ?? data.length;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((entry.mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
