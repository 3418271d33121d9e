/** Lists what a dir holds, for assertions on files written and files absent. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Every path under `dir`, relative and sorted; symlinks are listed, never followed (Node 20's
 * recursive readdir follows them, and loops on a link to `.`). A missing dir lists as empty.
 */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(dir, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      out.push(path);
      if (entry.isDirectory()) await walk(path);
    }
  };
  await walk('');
  return out.sort();
}
