/**
 * Errors and exit codes.
 *
 * A UserError is something the app developer or operator can fix (a bad sidecars.yml, a checksum
 * that does not match, an unreachable download). cli.ts prints it as one `**ERROR**` line with no
 * stack. Anything else is a bug or an environment failure and is reported as such.
 */

export const ExitCode = {
  ok: 0,
  /** Staging failed for a reason the user can fix; also "not detected" for bin/detect. */
  userError: 1,
  /** Staging failed because of a bug or an unexpected environment failure. */
  internalError: 2,
  /** Staging was stopped by SIGTERM or SIGINT (128 + signal number, as shells report it). */
  interrupted: { SIGINT: 130, SIGTERM: 143 },
} as const;

/**
 * The work was stopped by a signal (the lifecycle cancelling staging). Not a failure to explain
 * or retry: every step cleans up behind it and cli.ts exits with ExitCode.interrupted.
 */
export class InterruptedError extends Error {
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`staging was interrupted by ${signal}`);
    this.name = 'InterruptedError';
  }
}

export interface UserErrorDetails {
  /** The file (or env var, written as `$NAME`) the problem is in. */
  file?: string;
  /** 1-based line in that file. */
  line?: number;
  /** The key path, e.g. `sidecars[1].memory`. */
  key?: string;
  /** A sentence on how to fix it. */
  hint?: string;
}

export class UserError extends Error {
  readonly details: UserErrorDetails;

  constructor(message: string, details: UserErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserError';
    this.details = details;
  }

  /** `sidecars.yml:7: sidecars[1].memory: "lots" is not a size like 256M` */
  get location(): string {
    const { file, line, key } = this.details;
    const where = file ? (line ? `${file}:${line}` : file) : '';
    return [where, key].filter(Boolean).join(': ');
  }

  /** The full one-line text printed after `**ERROR** `. */
  describe(): string {
    const location = this.location;
    return location ? `${location}: ${this.message}` : this.message;
  }
}

/**
 * Every mistake of a config found in one pass, as a compiler reports them: one push shows them
 * all. Printed as one `**ERROR**` line each (log/report-failure.ts), in the order of the file.
 */
export class UserErrors extends UserError {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.describe()).join('\n'));
    this.name = 'UserErrors';
  }

  /** One error as itself, several as a UserErrors, sorted by file and line (stable). */
  static of(errors: UserError[]): UserError {
    if (errors.length === 1) return errors[0] as UserError;
    const sorted = [...errors].sort(
      (a, b) =>
        (a.details.file ?? '').localeCompare(b.details.file ?? '') ||
        (a.details.line ?? 0) - (b.details.line ?? 0),
    );
    return new UserErrors(sorted);
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/** The errno code of a full disk (or spent quota) anywhere in an error's cause chain. */
export function diskFullError(error: unknown): NodeJS.ErrnoException | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return e as NodeJS.ErrnoException;
  }
  return undefined;
}

export const DISK_FULL_HINT =
  "Staging ran out of disk: make the app or its sidecars smaller, or raise the app's disk quota (cf push -k 2G), which staging gets too.";
