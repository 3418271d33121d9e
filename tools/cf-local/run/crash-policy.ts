/**
 * What Diego does after a crash (cf-contract section 4; Diego's restart policy): the line Cloud
 * Controller logs for it, and how long to wait before the next start. The first three crashes
 * restart at once, later ones back off from 30 s, doubling up to 16 min.
 */

/** How a process's end is described: `APP/PROC/WEB/SIDECAR/CONFIG-SERVER: Exited with status 137`. */
export function exitDescription(source: string, status: number, outOfMemory: boolean): string {
  return `${source}: Exited with status ${status}${outOfMemory ? ' (out of memory)' : ''}`;
}

/** Exit status as a shell reports it: the code, or 128 + the signal number. */
export function exitStatus(code: number | null, signalNumber: number | undefined): number {
  if (code !== null) return code;
  return 128 + (signalNumber ?? 0);
}

export function restartDelayMs(crashCount: number): number {
  if (crashCount <= 3) return 0;
  return Math.min(30_000 * 2 ** (crashCount - 4), 16 * 60_000);
}

export interface CrashEvent {
  appGuid: string;
  instanceGuid: string;
  index: number;
  description: string;
  crashCount: number;
  time: Date;
}

/** Cloud Controller's `App instance exited` line, in its Ruby-hash style. */
export function crashLine(event: CrashEvent): string {
  const payload = [
    `"instance"=>"${event.instanceGuid}"`,
    `"index"=>${event.index}`,
    `"cell_id"=>"cf-local"`,
    `"reason"=>"CRASHED"`,
    `"exit_description"=>"${event.description}"`,
    `"crash_count"=>${event.crashCount}`,
    `"crash_timestamp"=>${event.time.getTime() * 1_000_000}`,
  ].join(', ');
  return `App instance exited with guid ${event.appGuid} payload: {${payload}}`;
}
