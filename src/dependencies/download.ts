/**
 * Downloads one artifact to a path, safely:
 * - streams to a temp file next to the destination, hashing as it goes, then renames it into
 *   place, so no partial file is ever visible under the final name;
 * - retries network errors, stalls and 5xx/408/429 with exponential backoff (retry.ts);
 * - follows redirects itself, refusing an https -> http downgrade unless allowed;
 * - goes through HTTP(S)_PROXY unless NO_PROXY says otherwise;
 * - deletes the temp file whatever happens.
 *
 * node-fetch and the proxy agents are imported on the first download only: with them come http,
 * https, tls and a third of the bundle, which detect, release and a staging that finds everything
 * packaged or cached never use (bench item 4: start-up cost).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { Agent } from 'node:http';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'node-fetch';
import { diskFullError, InterruptedError, UserError } from '../errors.js';
import { displayUrl } from '../log/redact.js';
import { proxyFor } from './proxy.js';
import { HttpError, PermanentError, withRetry } from './retry.js';
import type { TransportOptions } from './transport.js';

export { DEFAULT_TRANSPORT, type TransportOptions } from './transport.js';
import { checksumMismatch, HashingStream } from './verify.js';

export interface DownloadRequest {
  url: string;
  /** Final path; written only once the sha256 matches. */
  dest: string;
  sha256: string;
  /** Names the artifact in errors: `sidecar "otel"`, `node 22.23.1`. */
  label: string;
}

export interface DownloadResult {
  bytes: number;
  attempts: number;
}

export async function download(request: DownloadRequest, options: TransportOptions): Promise<DownloadResult> {
  await mkdir(dirname(request.dest), { recursive: true });
  let attempts = 0;
  const deadline = Date.now() + options.deadlineMs;
  try {
    const bytes = await withRetry(
      options.retry,
      async (attempt) => {
        attempts = attempt;
        return downloadOnce(request, options, deadline);
      },
      (error, attempt, delay) =>
        options.onRetry?.(
          `Download of ${request.label} failed (${reason(error)}); retry ${attempt} of ${options.retry.attempts - 1} in ${delay / 1000}s`,
        ),
      (ms) => sleep(ms, options.signal),
    );
    return { bytes, attempts };
  } catch (error) {
    if (error instanceof UserError || error instanceof InterruptedError) throw error;
    throw new UserError(
      `could not download ${request.label} from ${displayUrl(request.url)}: ${reason(error)}`,
      {
        hint:
          error instanceof HttpError && error.status < 500
            ? 'Check the uri (and that it needs no credentials the buildpack does not have).'
            : `Check the network, HTTP(S)_PROXY / NO_PROXY, and that the server is up; ${options.tryAgain ?? 'staging again'} retries.`,
      },
    );
  }
}

async function downloadOnce(
  request: DownloadRequest,
  options: TransportOptions,
  deadline: number,
): Promise<number> {
  // Beside dest, but not named after it: a long artifact name plus a suffix could exceed the
  // 255 bytes a file name may have.
  const temp = join(dirname(request.dest), `.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  const left = deadline - Date.now();
  if (left <= 0) throw deadlinePassed(options);
  // Aborted by the idle timer or the deadline; `signal` also by the caller (SIGTERM).
  const controller = new AbortController();
  const overall = new AbortController();
  const signal = AbortSignal.any([
    controller.signal,
    overall.signal,
    ...(options.signal ? [options.signal] : []),
  ]);
  const deadlineTimer = setTimeout(() => overall.abort(), left);
  let timer: NodeJS.Timeout | undefined;
  const armTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), options.idleTimeoutMs);
  };
  try {
    armTimer();
    const response = await openFollowingRedirects(request.url, options, signal);
    const body = response.body;
    if (!body) throw new Error('empty response body');
    const expectedLength = Number(response.headers.get('content-length') ?? NaN);
    const hashing = new HashingStream();
    hashing.on('data', armTimer);
    const { onProgress } = options;
    if (onProgress) {
      hashing.on('data', () =>
        onProgress(hashing.bytes, Number.isFinite(expectedLength) ? expectedLength : undefined),
      );
    }
    // Create the temp file before streaming: a stream that opens it lazily could create it after
    // the cleanup below has run, leaving a partial file behind.
    const file = await open(temp, 'wx', 0o644);
    try {
      await pipeline(body, hashing, file.createWriteStream(), { signal });
    } finally {
      await file.close().catch(() => undefined);
    }
    if (Number.isFinite(expectedLength) && hashing.bytes !== expectedLength) {
      throw new Error(`truncated body: got ${hashing.bytes} of ${expectedLength} bytes`);
    }
    // Nothing at all is no artifact, whatever its sha256 would say: name what the server did.
    if (hashing.bytes === 0)
      throw new PermanentError(
        `the server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} with an empty body, not the artifact`,
      );
    const actual = hashing.digest();
    if (actual !== request.sha256) throw checksumMismatch(request.label, request.sha256, actual);
    await rename(temp, request.dest);
    return hashing.bytes;
  } catch (error) {
    options.signal?.throwIfAborted();
    if (overall.signal.aborted) throw deadlinePassed(options);
    if (controller.signal.aborted)
      throw new Error(`no data for ${options.idleTimeoutMs / 1000}s (timed out)`);
    // A full disk stays full: say so at once instead of downloading it again three times.
    const full = diskFullError(error);
    if (full)
      throw new UserError(
        `${request.label}: no space left on the device while downloading it (${full.code})`,
        {
          hint: 'The staging disk is full: the artifact may be larger than its server claims, or the disk too small. Nothing was kept.',
        },
      );
    throw error;
  } finally {
    clearTimeout(timer);
    clearTimeout(deadlineTimer);
    await rm(temp, { force: true });
  }
}

function deadlinePassed(options: TransportOptions): PermanentError {
  return new PermanentError(
    `not finished after ${options.deadlineMs / 1000}s, the deadline of one download (SIDECAR_DOWNLOAD_DEADLINE)`,
  );
}

async function openFollowingRedirects(
  url: string,
  options: TransportOptions,
  signal: AbortSignal,
): Promise<Response> {
  let current = new URL(url);
  // Credentials in the URL become a Basic header (fetch refuses them in URLs), and are sent only
  // to the origin they were given for, never to a redirect target elsewhere.
  const origin = current.origin;
  const authorization = basicAuth(current);
  const { default: fetch } = await import('node-fetch');
  for (let hop = 0; hop <= options.maxRedirects; hop++) {
    const target = new URL(current.href);
    target.username = '';
    target.password = '';
    const proxy = proxyFor(current, options.proxyEnv);
    const response = await fetch(target.href, {
      redirect: 'manual',
      signal,
      agent: proxy ? await proxyAgent(current, proxy) : undefined,
      headers: {
        'user-agent': 'sidecar-buildpack',
        ...(authorization && current.origin === origin ? { authorization } : {}),
      },
      compress: false,
    }).catch((error: unknown) => {
      throw proxy ? proxyConnectionError(error, proxy) : error;
    });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      response.body?.resume();
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        // The server's answer, not a glitch: another try gets the same Location.
        throw new PermanentError(
          `the server redirected to a Location that is not a URL (${JSON.stringify(displayUrl(location.slice(0, 200)))})`,
        );
      }
      if (current.protocol === 'https:' && next.protocol === 'http:' && !options.allowInsecureRedirects) {
        throw new PermanentError(`refused a redirect from https to plain http (${displayUrl(next.href)})`);
      }
      if (!['http:', 'https:'].includes(next.protocol))
        throw new PermanentError(`refused a redirect to ${next.protocol} URL`);
      current = next;
      continue;
    }
    if (!response.ok) {
      response.body?.resume();
      throw new HttpError(
        response.status,
        `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
      );
    }
    return response;
  }
  throw new PermanentError(`too many redirects (more than ${options.maxRedirects})`);
}

function basicAuth(url: URL): string | undefined {
  if (!url.username && !url.password) return undefined;
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

const agents = new Map<string, Agent>();

async function proxyAgent(target: URL, proxy: string): Promise<Agent> {
  const key = `${target.protocol}${proxy}`;
  let agent = agents.get(key);
  if (!agent) {
    agent =
      target.protocol === 'https:'
        ? new (await import('https-proxy-agent')).HttpsProxyAgent(proxy)
        : new (await import('http-proxy-agent')).HttpProxyAgent(proxy);
    agents.set(key, agent);
  }
  return agent;
}

/**
 * Through a proxy, a connection that never opened is the proxy's: say so. A proxy that refuses or
 * does not resolve is a setting to fix, not a glitch, so that is not retried (as curl does not
 * retry a refused connection); unreachable networks are.
 */
function proxyConnectionError(error: unknown, proxy: string): unknown {
  const code = (error as { code?: string } | undefined)?.code;
  const shown = displayUrl(proxy);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND') {
    const what = code === 'ECONNREFUSED' ? 'refused the connection' : 'has a host name that does not resolve';
    return new PermanentError(`proxy ${shown} ${what} (${code})`, { cause: error });
  }
  if (code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return new Error(`proxy ${shown} cannot be reached (${code})`, { cause: error });
  return error;
}

/** Waits `ms`, or rejects with the abort reason as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const code = (error as { code?: string }).code ?? cause?.code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
