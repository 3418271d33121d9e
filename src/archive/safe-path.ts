/**
 * Path checks for archive entries: nothing may land outside the target directory, whether by
 * `..`, an absolute path, or a link that points outward. Pure.
 */
import { isAbsolute, posix } from 'node:path';
import { UserError } from '../errors.js';

export class UnsafeArchiveError extends UserError {
  constructor(archive: string, entry: string, problem: string) {
    super(`${archive}: refused entry ${JSON.stringify(entry)}: ${problem}`, {
      hint: 'The archive tries to write outside its directory; it is not safe to unpack. Ask its publisher for a clean one.',
    });
  }
}

/** Returns a normalised relative path, or a problem sentence. */
export function checkEntryPath(entry: string): { path: string } | { problem: string } {
  const unified = entry.replace(/\\/g, '/');
  if (unified.startsWith('/') || isAbsolute(entry) || /^[A-Za-z]:/.test(unified))
    return { problem: 'absolute path' };
  if (unified.split('/').includes('..')) return { problem: 'path contains ".."' };
  const path = posix
    .normalize(unified)
    .replace(/^(\.\/)+/, '')
    .replace(/\/$/, '');
  return { path: path === '.' ? '' : path };
}

/**
 * PATH_MAX on Linux less its NUL: symlink(2) and link(2) refuse a longer target (ENAMETOOLONG),
 * so an archive's longer one is refused up front, by name.
 */
export const MAX_LINK_TARGET_BYTES = 4095;

/** A link at `entryPath` (relative to the root) pointing at `target` must stay inside the root. */
export function checkLinkTarget(
  entryPath: string,
  target: string,
  kind: 'symlink' | 'hardlink',
): string | undefined {
  const bytes = Buffer.byteLength(target);
  if (bytes > MAX_LINK_TARGET_BYTES)
    return `${kind} target is ${bytes} bytes long; the system's limit is ${MAX_LINK_TARGET_BYTES} (PATH_MAX less its NUL)`;
  const unified = target.replace(/\\/g, '/');
  if (unified.startsWith('/') || isAbsolute(target)) return `${kind} to an absolute path (${target})`;
  // A hard link's target is relative to the archive root; a symlink's to the link's own directory.
  const base = kind === 'hardlink' ? '' : posix.dirname(entryPath);
  const resolved = posix.normalize(posix.join(base, unified));
  if (resolved === '..' || resolved.startsWith('../'))
    return `${kind} points outside the directory (${target})`;
  return undefined;
}

/**
 * The symlinks an extraction has made so far. The checks above read each entry alone, so a chain
 * such as `a` -> `.`, then `a/b` -> `..`, then `b/x` passes them all and still lands outside:
 * any entry whose path (or hard link target) goes through a symlink of the archive is refused.
 */
export class ArchiveSymlinks {
  private readonly paths = new Set<string>();

  add(path: string): void {
    this.paths.add(path);
  }

  /** The first symlink of the archive that `path` (normalised, relative) passes through. */
  crossedBy(path: string): string | undefined {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.paths.has(prefix)) return prefix;
    }
    return undefined;
  }

  has(path: string): boolean {
    return this.paths.has(path);
  }

  /** A problem sentence when `path` goes through one of the archive's symlinks. */
  problemWith(path: string): string | undefined {
    const link = this.crossedBy(path);
    return link === undefined ? undefined : `goes through the symlink ${JSON.stringify(link)} of the archive`;
  }
}
