/**
 * The lifecycle's failure messages and exit codes (buildpackapplifecycle's errors.go): staging
 * logs end with these lines, and Cloud Controller maps the exit code to the error a user sees
 * (NoAppDetectedError, BuildpackCompileFailed, BuildpackReleaseFailed).
 */

export const DETECT_FAIL = 'None of the buildpacks detected a compatible application';
export const COMPILE_FAIL = 'Failed to compile droplet';
export const RELEASE_FAIL = 'Failed to build droplet release';
export const SUPPLY_FAIL = 'Failed to run all supply scripts';
export const FINALIZE_FAIL = 'Failed to run finalize script';
export const NO_SUPPLY_SCRIPT =
  'Error: one of the buildpacks chosen to supply dependencies does not support multi-buildpack apps';
export const MISSING_FINALIZE_WARNING =
  'Warning: the last buildpack is not compatible with multi-buildpack apps and cannot make use of any dependencies supplied by the buildpacks specified before it';
export const NO_START_COMMAND = [
  'No start command specified by buildpack or via Procfile.',
  'App will not start unless a command is provided at runtime.',
];

/** Exit code of the builder for a failure message, checked in the lifecycle's order. */
const EXIT_CODES: ReadonlyArray<[string, number, string]> = [
  [DETECT_FAIL, 222, 'NoAppDetectedError'],
  [COMPILE_FAIL, 223, 'BuildpackCompileFailed'],
  [RELEASE_FAIL, 224, 'BuildpackReleaseFailed'],
  [SUPPLY_FAIL, 225, 'BuildpackCompileFailed'],
  [NO_SUPPLY_SCRIPT, 225, 'BuildpackCompileFailed'],
];

/**
 * A staging failure. The message is the lifecycle's chain of descriptions, e.g.
 * `Failed to compile droplet: Failed to run finalize script: exit status 1`, which is the last
 * line of a failed staging log.
 */
export class StagingFailure extends Error {
  override name = 'StagingFailure';
  readonly exitCode: number;
  /** What Cloud Controller reports for this exit code (the cf CLI shows it). */
  readonly reason: string;

  constructor(chain: ReadonlyArray<string | undefined>, exitCode?: number, reason?: string) {
    const message = chain.filter(Boolean).join(': ');
    super(message);
    const known = EXIT_CODES.find(([text]) => message.includes(text));
    this.exitCode = exitCode ?? known?.[1] ?? 1;
    this.reason = reason ?? known?.[2] ?? 'StagingError';
  }
}

/** Cloud Controller refusing the staged sidecars: staging ran, the push still fails. */
export function sidecarRejection(messages: readonly string[]): StagingFailure {
  return new StagingFailure([messages.join('; ')], 1, 'UnprocessableEntity');
}

/** How a child's end reads in the lifecycle's wrapped errors (Go's exec.ExitError text). */
export function exitDescription(code: number | null, signal: string | null): string {
  return signal ? `signal: ${signalName(signal)}` : `exit status ${code ?? 1}`;
}

function signalName(signal: string): string {
  const names: Record<string, string> = { SIGKILL: 'killed', SIGTERM: 'terminated', SIGINT: 'interrupt' };
  return names[signal] ?? signal.toLowerCase();
}
