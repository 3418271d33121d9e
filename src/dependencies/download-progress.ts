/**
 * Progress lines for long downloads. A 40 MB artifact over a slow proxy takes minutes, and a
 * silent staging or packager looks hung; a line per interval (not per chunk) keeps logs short.
 */
import { formatBytes } from '../log/format-bytes.js';

export function downloadProgress(
  label: string,
  print: (line: string) => void,
  { intervalMs = 5000, now = () => Date.now() }: { intervalMs?: number; now?: () => number } = {},
): (bytes: number, total: number | undefined) => void {
  const started = now();
  let last = started;
  return (bytes, total) => {
    const t = now();
    if (t - last < intervalMs) return;
    last = t;
    const of = total ? ` of ${formatBytes(total)} (${Math.floor((bytes / total) * 100)}%)` : '';
    const rate = formatBytes(Math.round((bytes * 1000) / Math.max(1, t - started)));
    print(`${label}: ${formatBytes(bytes)}${of}, ${rate}/s`);
  };
}
