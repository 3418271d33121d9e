/**
 * Progress lines for long downloads. A 40 MB Node runtime over a slow proxy takes minutes, and a
 * silent packager looks hung; a line per interval (not per chunk) keeps CI logs short.
 */
import { formatBytes } from '../log/format-bytes.js';

export function downloadProgress(
  label: string,
  print: (line: string) => void,
  { intervalMs = 2000, now = () => Date.now() }: { intervalMs?: number; now?: () => number } = {},
): (bytes: number, total: number | undefined) => void {
  let last = now();
  return (bytes, total) => {
    const t = now();
    if (t - last < intervalMs) return;
    last = t;
    const of = total ? ` of ${formatBytes(total)} (${Math.floor((bytes / total) * 100)}%)` : '';
    print(`  ${label}: ${formatBytes(bytes)}${of}`);
  };
}
