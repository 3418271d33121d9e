/**
 * The executable an app-files sidecar starts: the first word of its command, when that is a path
 * into the app (`./config-server`, `bin/agent`). It is made executable, as `cf push` from a
 * Windows machine or a zip often loses the bit. Only a regular file that resolves inside the app
 * is touched: chmod follows symlinks, and a link to a file outside the app must not be changed.
 */
import { chmod, realpath, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';

export type AppCommandCheck =
  | { status: 'ready'; file: string }
  /** A bare word (`python3 agent.py`) runs from PATH, or an absolute path of the stack's. */
  | { status: 'not-an-app-file' }
  | { status: 'missing' | 'outside' | 'not-a-file'; file: string };

/** The command's first word, past a leading `exec` and `VAR=value` assignments. */
export function firstWord(command: string): string | undefined {
  const words = command.trim().split(/\s+/);
  while (words[0] === 'exec' || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? '')) words.shift();
  const first = words[0];
  return first && !/[;&|'"$`()<>]/.test(first) ? first : undefined;
}

export async function prepareAppCommand(buildDir: string, command: string): Promise<AppCommandCheck> {
  const file = firstWord(command);
  if (!file || !file.includes('/') || file.startsWith('/')) return { status: 'not-an-app-file' };
  const root = await realpath(buildDir);
  const resolved = await realpath(resolve(buildDir, file)).catch(() => undefined);
  if (resolved === undefined) return { status: 'missing', file };
  if (!resolved.startsWith(root + sep)) return { status: 'outside', file };
  const info = await stat(resolved);
  if (!info.isFile()) return { status: 'not-a-file', file };
  if ((info.mode & 0o111) !== 0o111) await chmod(resolved, info.mode | 0o755);
  return { status: 'ready', file };
}
