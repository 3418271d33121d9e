/**
 * Log lines as `cf logs` shows them: a timestamp, the source with the instance index and the
 * stream, e.g. `2026-11-23T11:50:00.12+0000 [APP/PROC/WEB/SIDECAR/CONFIG-SERVER/0] OUT ready`.
 * Lines of all processes of all instances go into one interleaved stream.
 */

export interface LogLine {
  time: Date;
  /** `APP/PROC/WEB`, `APP/PROC/WEB/SIDECAR/CONFIG-SERVER`, `CELL`, `API`. */
  source: string;
  index: number;
  stream: 'OUT' | 'ERR';
  text: string;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2026-11-23T11:50:00.12+0000`, in UTC as the cf CLI prints with TZ=UTC. */
export function formatTime(time: Date): string {
  const centis = pad(Math.floor(time.getUTCMilliseconds() / 10));
  return (
    `${time.getUTCFullYear()}-${pad(time.getUTCMonth() + 1)}-${pad(time.getUTCDate())}T` +
    `${pad(time.getUTCHours())}:${pad(time.getUTCMinutes())}:${pad(time.getUTCSeconds())}.${centis}+0000`
  );
}

export function formatLogLine(line: LogLine): string {
  return `${formatTime(line.time)} [${line.source}/${line.index}] ${line.stream} ${line.text}`;
}
