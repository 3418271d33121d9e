/**
 * The one entry point of the staging bundle, and the only module that touches `process`:
 * `node sidecar-buildpack.cjs <detect|supply|finalize|release> ARGS...` (the bin/ shims call it
 * with the lifecycle's arguments). Builds the phase's context, runs it, maps errors to exit codes.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_MAX_UNPACKED_BYTES, MAX_UNPACKED_ENV } from './archive/limits.js';
import { parseSizeMb } from './config/size.js';
import { DEFAULT_TRANSPORT, type TransportOptions } from './dependencies/transport.js';
import { ExitCode, InterruptedError, UserError } from './errors.js';
import { fdSink } from './log/fd-sink.js';
import { consoleLogger, type Logger } from './log/logger.js';
import { urlSecrets } from './log/redact.js';
import { reportFailure } from './log/report-failure.js';
import { proxyEnvFrom } from './dependencies/proxy.js';
import type { BuildpackInfo, StagingContext } from './phases/context.js';

const USAGE: Record<string, string> = {
  detect: 'detect BUILD_DIR',
  supply: 'supply BUILD_DIR CACHE_DIR DEPS_DIR INDEX',
  finalize: 'finalize BUILD_DIR CACHE_DIR DEPS_DIR INDEX [PROFILE_DIR]',
  release: 'release BUILD_DIR',
};

/** Env knobs an operator or app developer may set (documented in the README). */
export const ENV = {
  debug: 'BP_DEBUG',
  downloadTimeout: 'SIDECAR_DOWNLOAD_TIMEOUT',
  downloadDeadline: 'SIDECAR_DOWNLOAD_DEADLINE',
  allowInsecureRedirects: 'SIDECAR_ALLOW_INSECURE_REDIRECTS',
  progressInterval: 'SIDECAR_PROGRESS_INTERVAL',
} as const;

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [phase, ...args] = argv;
  // detect's and release's stdout is data the lifecycle parses (the buildpack's name, YAML): their
  // log lines all go to stderr, which the lifecycle shows.
  const log = consoleLogger(
    Boolean(env[ENV.debug]),
    phase === 'detect' || phase === 'release' ? 'stderr' : 'stdout',
  );
  if (!phase || !(phase in USAGE)) {
    log.error(`usage: sidecar-buildpack ${Object.values(USAGE).join(' | ')}`);
    return ExitCode.internalError;
  }
  log.debug(`${phase} ${args.join(' ')}`);
  const signal = abortOnSignals(log);
  try {
    const code = await runPhase(phase, args, env, log, signal);
    // A signal that came too late to stop anything still means the caller gave up on this run.
    if (signal.reason instanceof InterruptedError) {
      log.error(`${signal.reason.message} after it had finished`);
      return ExitCode.interrupted[signal.reason.signal];
    }
    return code;
  } catch (error) {
    if (error instanceof InterruptedError) return reportInterrupted(error, log);
    return reportFailure(
      error,
      log,
      'stage sidecars',
      'This is a bug in sidecar_buildpack; set BP_DEBUG=1 for details and report it.',
    );
  }
}

async function runPhase(
  phase: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log: Logger,
  signal: AbortSignal,
): Promise<number> {
  // Each phase is imported when it runs, so a phase loads only the modules it uses (detect never
  // loads tar, for example): bench item 4, start-up cost.
  switch (phase) {
    case 'detect': {
      const { detect } = await import('./phases/detect.js');
      const result = await detect({ buildDir: required(args, 0, phase), env, log });
      log.debug(`detect: ${result.reason}`);
      if (result.warning) log.warning(result.warning);
      if (result.detected) fdSink(1).write('sidecar\n');
      return result.detected ? ExitCode.ok : ExitCode.userError;
    }
    case 'release': {
      const { release } = await import('./phases/release.js');
      fdSink(1).write(await release({ buildDir: required(args, 0, phase), env }));
      return ExitCode.ok;
    }
    case 'supply': {
      const { supply } = await import('./phases/supply.js');
      await supply(stagingContext(phase, args, env, log, signal));
      return ExitCode.ok;
    }
    case 'finalize': {
      const { finalize } = await import('./phases/finalize.js');
      await finalize(stagingContext(phase, args, env, log, signal));
      return ExitCode.ok;
    }
  }
  return ExitCode.internalError;
}

/**
 * Node's default for SIGTERM and SIGINT is to exit at once, skipping every `finally`, so a
 * download would leave its partial file behind. Instead the signal aborts the work: downloads
 * and unpacking stop, each step removes what it wrote, and main() exits with
 * ExitCode.interrupted. If the cleanup itself takes too long (a slow disk, a loaded machine),
 * the process exits anyway, still with its one ERROR line, before the platform's KILL.
 */
function abortOnSignals(log: Logger): AbortSignal {
  const controller = new AbortController();
  for (const name of ['SIGTERM', 'SIGINT'] as const) {
    process.once(name, () => {
      controller.abort(new InterruptedError(name));
      setTimeout(() => {
        log.error(
          `staging was interrupted by ${name}; its clean-up did not finish within ${CLEANUP_GRACE_MS / 1000}s, and the next staging removes what is left`,
        );
        process.exit(ExitCode.interrupted[name]);
      }, CLEANUP_GRACE_MS).unref();
    });
  }
  return controller.signal;
}

const CLEANUP_GRACE_MS = 8000;

/** An interrupted staging is not a bug or a user error: say what happened and that it cleaned up. */
function reportInterrupted(error: InterruptedError, log: Logger): number {
  log.error(`${error.message}; its partial downloads and unpacked files were removed`);
  return ExitCode.interrupted[error.signal];
}

function required(args: string[], index: number, phase: string): string {
  const value = args[index];
  if (!value) throw new UserError(`missing argument; usage: ${USAGE[phase]}`);
  return resolve(value);
}

function stagingContext(
  phase: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log: Logger,
  signal: AbortSignal,
): StagingContext {
  const depsIdx = args[3] ?? '';
  if (!/^\d+$/.test(depsIdx))
    throw new UserError(`INDEX must be a number, got ${JSON.stringify(depsIdx)}; usage: ${USAGE[phase]}`);
  for (const name of ['http_proxy', 'https_proxy']) {
    const proxy = env[name] ?? env[name.toUpperCase()];
    if (proxy) registerUrlSecrets(proxy, log);
  }
  return {
    buildpack: buildpackInfo(),
    buildDir: required(args, 0, phase),
    cacheDir: required(args, 1, phase),
    depsDir: required(args, 2, phase),
    depsIdx,
    ...(args[4] ? { profileDir: resolve(args[4]) } : {}),
    stack: env.CF_STACK || 'cflinuxfs4',
    env,
    transport: { ...transportOptions(env, log), signal },
    signal,
    maxUnpackedBytes: sizeFromEnv(env, MAX_UNPACKED_ENV, DEFAULT_MAX_UNPACKED_BYTES),
    now: new Date(),
    log,
  };
}

function transportOptions(env: NodeJS.ProcessEnv, log: Logger): TransportOptions {
  const idle = secondsFromEnv(env, ENV.downloadTimeout, 3600);
  const deadline = secondsFromEnv(env, ENV.downloadDeadline, 86_400);
  const progress = secondsFromEnv(env, ENV.progressInterval, 3600);
  return {
    ...DEFAULT_TRANSPORT,
    proxyEnv: proxyEnvFrom(env),
    ...(idle ? { idleTimeoutMs: idle * 1000 } : {}),
    ...(deadline ? { deadlineMs: deadline * 1000 } : {}),
    ...(progress ? { progressIntervalMs: progress * 1000 } : {}),
    allowInsecureRedirects: env[ENV.allowInsecureRedirects] === 'true',
    onRetry: (message) => log.detail(message),
  };
}

/** A number of seconds from 1 to `max` (a timer of node's takes at most about 24 days), or undefined. */
function secondsFromEnv(env: NodeJS.ProcessEnv, name: string, max: number): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const seconds = Number(text);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !(seconds >= 1 && seconds <= max))
    throw new UserError(`${JSON.stringify(text)} is not a number of seconds from 1 to ${max}`, {
      key: `$${name}`,
    });
  return seconds;
}

function sizeFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const mb = parseSizeMb(text);
  if (!mb || mb <= 0)
    throw new UserError(`${JSON.stringify(text)} is not a size like 4G`, { key: `$${name}` });
  return mb * 1024 * 1024;
}

/** Proxy credentials are secrets too: the logger redacts them wherever they appear. */
function registerUrlSecrets(url: string, log: Logger): void {
  for (const secret of urlSecrets(url.includes('://') ? url : `http://${url}`)) log.addSecret(secret);
}

/** The bundle sits in <buildpack>/dist/, so the buildpack root is one level up. */
function buildpackInfo(): BuildpackInfo {
  const dir = resolve(dirname(__filename), '..');
  let version = '0.0.0';
  try {
    version = readFileSync(resolve(dir, 'VERSION'), 'utf8').trim();
  } catch {
    // VERSION is missing only in a broken checkout; the log then shows 0.0.0
  }
  return { dir, version };
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    fdSink(2).write(`       **ERROR** failed to start sidecar_buildpack: ${String(error)}\n`);
    process.exitCode = ExitCode.internalError;
  },
);
