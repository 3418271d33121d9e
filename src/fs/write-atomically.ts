/**
 * Writes a file through a temp name and a rename, so a reader (the lifecycle, the launcher)
 * sees the old file or the whole new one, never half of it. The temp file is created exclusively
 * (O_CREAT|O_EXCL: a planted symlink of that name is not followed) and the rename replaces a link
 * at `path` itself, never the file it points to: the app dir may be hostile.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DISK_FULL_HINT, diskFullError, UserError } from '../errors.js';

export async function writeAtomically(path: string, content: string): Promise<void> {
  // Not named after the file: a 255-character name plus a suffix is longer than a file name may
  // be, and a random part cannot collide with anything the app put there.
  const temp = join(dirname(path), `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(temp, content, { flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    if (diskFullError(error))
      throw new UserError(`no space left on the device to write ${basename(path)} (${path})`, {
        hint: DISK_FULL_HINT,
      });
    throw error;
  }
}
