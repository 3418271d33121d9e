/** Which of some paths do not exist (lstat: a dangling link exists). */
import { lstat } from 'node:fs/promises';

export async function missing(paths: string[]): Promise<string[]> {
  const absent = await Promise.all(
    paths.map((path) =>
      lstat(path).then(
        () => false,
        () => true,
      ),
    ),
  );
  return paths.filter((_, i) => absent[i]);
}
