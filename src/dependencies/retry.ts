/**
 * The one retry rule for downloads: network errors, timeouts, 5xx, 408 and 429 are worth another
 * try; any other status (404, 403, ...) is an answer and is not retried.
 */

import { InterruptedError, UserError } from '../errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** An error that no retry can fix (bad redirect, checksum mismatch, disk full). */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

export function isRetryable(error: unknown): boolean {
  // A UserError (checksum mismatch) is an answer, not a glitch: another try gets the same file.
  if (error instanceof PermanentError || error instanceof UserError || error instanceof InterruptedError)
    return false;
  if (error instanceof HttpError) return error.status >= 500 || error.status === 408 || error.status === 429;
  return true;
}

export interface RetryPolicy {
  attempts: number;
  /** Delay before the 2nd attempt; doubles each time. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 1000, maxDelayMs: 8000 };

export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

/** Runs `task` until it succeeds, fails permanently, or runs out of attempts. */
export async function withRetry<T>(
  policy: RetryPolicy,
  task: (attempt: number) => Promise<T>,
  onRetry: (error: unknown, attempt: number, delayMs: number) => void,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryable(error)) throw error;
      const delay = backoffDelay(policy, attempt);
      onRetry(error, attempt, delay);
      await sleep(delay);
    }
  }
}
