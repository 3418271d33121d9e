/**
 * The buildpack's own files that go into a zip: manifest.yml's `include_files` (libbuildpack's
 * convention), each a file: CF's buildpack-packager zips an entry as it is, so a directory there
 * becomes an empty directory in its zip, and such a zip fails at staging. Without include_files,
 * a default set of directories taken whole. Everything else in the repository (sources, tests,
 * node_modules) stays out because it is not listed.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { UserError } from '../errors.js';

/** Used when manifest.yml has no `include_files`. */
export const DEFAULT_INCLUDE_FILES = [
  'bin',
  'dist',
  'manifest.yml',
  'VERSION',
  'README.md',
  'LICENSE',
  'CHANGELOG.md',
];

export interface BuildpackFile {
  /** Path relative to the buildpack root, `/`-separated. */
  path: string;
  absolute: string;
  executable: boolean;
}

/**
 * manifest.yml `include_files` as files, sorted: a missing entry or a directory is an error naming
 * it, so that what this packager zips is what buildpack-packager would zip from the same manifest.
 */
export async function listIncludeFiles(root: string, includeFiles: string[]): Promise<BuildpackFile[]> {
  return listBuildpackFiles(root, includeFiles, { directories: false });
}

/** Expands `includeFiles` under `root` into files, sorted; a missing entry is an error naming it. */
export async function listBuildpackFiles(
  root: string,
  includeFiles: string[],
  { directories = true } = {},
): Promise<BuildpackFile[]> {
  const files = new Map<string, BuildpackFile>();
  for (const [index, entry] of includeFiles.entries()) {
    const rel = posix.normalize(entry).replace(/\/+$/, '');
    if (rel.startsWith('../') || rel === '..' || posix.isAbsolute(rel)) {
      throw new UserError(`"${entry}" is outside the buildpack`, {
        file: 'manifest.yml',
        key: `include_files[${index}]`,
      });
    }
    const found = await walk(root, rel).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      throw new UserError(`"${entry}" does not exist`, {
        file: 'manifest.yml',
        key: `include_files[${index}]`,
        hint: entry.startsWith('dist/')
          ? 'the bundle is built by scripts/build.mjs; check its output names'
          : 'remove it from include_files or add the file',
      });
    });
    if (!directories && (await stat(join(root, rel))).isDirectory()) {
      throw new UserError(
        `"${entry}" is a directory: Cloud Foundry's buildpack-packager zips only its directory entry, not the files in it`,
        {
          file: 'manifest.yml',
          key: `include_files[${index}]`,
          hint: `list each file instead (${found
            .slice(0, 3)
            .map((f) => f.path)
            .join(', ')}${found.length > 3 ? ', ...' : ''})`,
        },
      );
    }
    for (const f of found) files.set(f.path, f);
  }
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function walk(root: string, rel: string): Promise<BuildpackFile[]> {
  const absolute = join(root, rel);
  const info = await stat(absolute);
  if (info.isFile()) return [{ path: rel, absolute, executable: (info.mode & 0o111) !== 0 }];
  if (!info.isDirectory()) return [];
  const names = (await readdir(absolute)).sort();
  const nested = await Promise.all(names.map((name) => walk(root, posix.join(rel, name))));
  return nested.flat();
}
