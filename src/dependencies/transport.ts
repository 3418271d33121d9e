/**
 * How downloads behave (proxy, retries, timeouts, redirects), as cli.ts builds it from the env.
 * A module of its own, without download.ts's imports, so that detect, which downloads nothing,
 * does not load node:crypto and the stream modules at start-up (issue 14: start-up cost).
 */
import type { ProxyEnv } from './proxy.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';

export interface TransportOptions {
  /** HTTP(S)_PROXY / NO_PROXY, as read by cli.ts. */
  proxyEnv: ProxyEnv;
  retry: RetryPolicy;
  /** A download that receives no byte for this long is aborted (and retried). */
  idleTimeoutMs: number;
  /**
   * All attempts of one download together may take this long; then it fails for good. A server
   * that trickles a byte a second never trips the idle timer, but it trips this.
   */
  deadlineMs: number;
  maxRedirects: number;
  /** Follow a redirect from https to plain http (off: it would expose the download to tampering). */
  allowInsecureRedirects: boolean;
  /** Told about each retry, for a log line. */
  onRetry?: (message: string) => void;
  /** Aborts every download (SIGTERM): the temp file is removed and nothing is retried. */
  signal?: AbortSignal;
  /** Told the bytes received so far (and the total, when the server sent one), chunk by chunk. */
  onProgress?: (bytes: number, total: number | undefined) => void;
  /** How often a long download logs a progress line (see download-progress.ts). */
  progressIntervalMs: number;
  /** What tries a failed download again, for its hint: staging again, or packaging again. */
  tryAgain?: string;
}

export const DEFAULT_TRANSPORT: TransportOptions = {
  proxyEnv: {},
  retry: DEFAULT_RETRY,
  idleTimeoutMs: 60_000,
  deadlineMs: 900_000,
  maxRedirects: 10,
  allowInsecureRedirects: false,
  progressIntervalMs: 5000,
};
