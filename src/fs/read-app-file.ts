/**
 * Reads a file of the app (sidecars.yml, Procfile) as a hostile app dir allows: only a regular
 * file, inside the app dir (a symlink must resolve inside it too), of a bounded size. A link to
 * `/proc/self/environ` or outside the app, a FIFO that would block staging, a device, or a file
 * too large to parse in bounded time is refused before a byte is read, with a clear error. Its
 * text must be UTF-8 (decode-text.ts).
 */
import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { UserError } from '../errors.js';
import { decodeUtf8 } from './decode-text.js';

export interface AppFileOptions {
  /** The largest size read. */
  maxBytes: number;
}

/** The file's text, or undefined when the app has no such file. */
export async function readAppFile(
  buildDir: string,
  name: string,
  { maxBytes }: AppFileOptions,
): Promise<string | undefined> {
  const path = join(buildDir, name);
  const link = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new UserError(`cannot be read: ${error.code ?? error.message}`, { file: name });
  });
  if (!link) return undefined;
  let target = path;
  if (link.isSymbolicLink()) {
    let failure: string | undefined;
    const [root, resolved] = await Promise.all([
      realpath(buildDir),
      realpath(path).catch((error: NodeJS.ErrnoException) => {
        failure = error.code;
        return undefined;
      }),
    ]);
    if (resolved === undefined || !resolved.startsWith(root + sep))
      throw new UserError(
        resolved !== undefined
          ? 'is a symlink that leads outside the app: it is not read'
          : failure === 'ELOOP'
            ? 'is a symlink in a loop of links: it leads nowhere'
            : 'is a symlink to a file that does not exist',
        { file: name, hint: `Push the file itself, not a link to it.` },
      );
    target = resolved;
  }
  const info = link.isSymbolicLink() ? await stat(target) : link;
  if (!info.isFile())
    throw new UserError(`is ${kindOf(info)}, not a regular file: it is not read`, {
      file: name,
      hint: 'Push a plain file.',
    });
  if (info.size > maxBytes)
    throw new UserError(`is ${info.size} bytes; at most ${maxBytes} are read`, {
      file: name,
      hint: 'Keep it to what the buildpack needs; put large settings into files of the app that the sidecar reads.',
    });
  return decodeUtf8(await readFile(target), name);
}

function kindOf(info: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  return 'a device';
}
