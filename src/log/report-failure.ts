/**
 * How an entry point reports a failure: a UserError as one `**ERROR**` line plus its hint (never
 * a stack: the mistake is the user's, not the code's), anything else as "failed to <what>" with
 * the stack only under BP_DEBUG.
 */
import { DISK_FULL_HINT, diskFullError, ExitCode, isUserError, UserErrors } from '../errors.js';
import type { Logger } from './logger.js';

export function reportFailure(error: unknown, log: Logger, what: string, bugHint: string): number {
  if (error instanceof UserErrors) {
    for (const each of error.errors) {
      log.error(each.describe());
      if (each.details.hint) log.detail(each.details.hint);
    }
    log.detail(`${error.errors.length} mistakes; staging stopped before anything was fetched or written`);
    return ExitCode.userError;
  }
  if (isUserError(error)) {
    log.error(error.describe());
    if (error.details.hint) log.detail(error.details.hint);
    return ExitCode.userError;
  }
  // Wherever the disk filled up, it is the same one line: not a bug, and nothing to report.
  const full = diskFullError(error);
  if (full) {
    // copyfile's `path` is its source; where the disk filled is its `dest`.
    const where = [full.syscall, (full as { dest?: string }).dest ?? full.path].filter(Boolean).join(' ');
    log.error(`no space left on the device (${full.code}${where ? `, at ${where}` : ''})`);
    log.detail(DISK_FULL_HINT);
    return ExitCode.userError;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  log.error(`failed to ${what}: ${err.message}`);
  log.detail(log.debugEnabled ? (err.stack ?? '') : bugHint);
  return ExitCode.internalError;
}
