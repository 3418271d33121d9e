/** The app's Procfile (`type: command` lines), which Cloud Foundry lets override process commands. */
import { readAppFile } from '../fs/read-app-file.js';

export function parseProcfile(text: string): Record<string, string> {
  // No prototype: a type named `constructor` or `__proto__` is a key like any other.
  const processes: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const line of text.split(/\r?\n/)) {
    // A type with only blanks after the colon has no command (bin/detect's grep agrees).
    const match = /^([A-Za-z0-9_-]+):\s*(\S.*?)\s*$/.exec(line);
    if (match) processes[match[1] as string] = match[2] as string;
  }
  return processes;
}

export async function readProcfile(buildDir: string): Promise<Record<string, string> | undefined> {
  const text = await readAppFile(buildDir, 'Procfile', { maxBytes: 64 * 1024 });
  return text === undefined ? undefined : parseProcfile(text);
}
