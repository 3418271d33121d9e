/**
 * Builds real archives for tests: .tgz and .tar.xz with the system tar, .zip with the system zip,
 * from a map of file names to contents (and modes).
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
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
