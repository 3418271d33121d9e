/**
 * `mkdir -p` that reports the system's reason. Node's promise-based recursive mkdir reports a
 * full disk (ENOSPC) as ENOENT, "no such file or directory", which reads as a bug; the sync one
 * tells the truth, so a failure is asked again that way.
 */
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';

export async function makeDir(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(path, { recursive: true });
  }
}
