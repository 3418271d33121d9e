/**
 * cf-local's caches under $TMPDIR stay bounded: of the entries of a cache dir, the `keep` used
 * last (by mtime, which each use touches) stay and the others are removed.
 */
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';

export async function keepNewest(root: string, keep: number): Promise<void> {
  const names = await readdir(root).catch(() => [] as string[]);
  const entries = await Promise.all(
    names.map(async (name) => ({
      name,
      mtime: (await stat(join(root, name)).catch(() => undefined))?.mtimeMs ?? 0,
    })),
  );
  entries.sort((a, b) => b.mtime - a.mtime);
  for (const old of entries.slice(keep))
    await rm(join(root, old.name), { recursive: true, force: true }).catch(() => undefined);
}

/** Marks a cache entry as used now. */
export async function touch(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now).catch(() => undefined);
}
