/**
 * The last check of an unpacked archive: every symlink in it must resolve inside it, however it
 * gets there. Each entry was checked as it was unpacked (safe-path.ts), but links can escape
 * together: `a` -> `.` and `b` -> `a/..` each read as inside, yet `b` is the parent, because the
 * kernel follows `a` before it applies `..`. So the links are resolved here as the kernel does,
 * component by component on the unpacked tree, following the archive's own links, before anything
 * (chmod, reading a file, the run time) can follow one.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { UnsafeArchiveError } from './safe-path.js';

/** As the kernel's limit on links followed in one lookup (ELOOP). */
const MAX_HOPS = 40;

export async function assertLinksInside(root: string, archiveName: string): Promise<void> {
  for (const link of await symlinksUnder(root)) {
    const problem = await escapes(root, link);
    if (problem) throw new UnsafeArchiveError(archiveName, link, problem);
  }
}

/** Paths (relative, `/`-separated) of the symlinks under root; links are not followed. */
async function symlinksUnder(root: string, rel = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isSymbolicLink()) found.push(path);
    else if (entry.isDirectory()) found.push(...(await symlinksUnder(root, path)));
  }
  return found;
}

/** Why the symlink at `link` leads outside root, or undefined when it stays inside. */
async function escapes(root: string, link: string): Promise<string | undefined> {
  const resolved: string[] = [];
  const pending = link.split('/');
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0)
        return "symlink resolves outside the directory, through the archive's own links";
      resolved.pop();
      continue;
    }
    resolved.push(part);
    // A component that does not exist cannot be a link: the rest resolves lexically.
    const info = await lstat(join(root, ...resolved)).catch(() => undefined);
    if (!info?.isSymbolicLink()) continue;
    if (++hops > MAX_HOPS) return `symlink resolves through more than ${MAX_HOPS} links`;
    const target = await readlink(join(root, ...resolved));
    if (posix.isAbsolute(target)) return `symlink resolves to an absolute path (${target})`;
    resolved.pop();
    pending.unshift(...target.split('/'));
  }
  return undefined;
}
