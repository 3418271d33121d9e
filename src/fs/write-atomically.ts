/**
 * Writes a file through a temp name and a rename, so a reader (the lifecycle, the launcher)
 * sees the old file or the whole new one, never half of it.
 */
import { rename, writeFile } from 'node:fs/promises';

export async function writeAtomically(path: string, content: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, content);
  await rename(temp, path);
}
