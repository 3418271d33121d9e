/**
 * Entry point of scripts/package.sh (run with tsx; packaging is a developer and release tool, not
 * part of the staging bundle). The only packaging module that reads argv, env and the process;
 * it builds typed requests, runs them, and maps errors to one `**ERROR**` line and an exit code.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_TRANSPORT, type TransportOptions } from '../dependencies/download.js';
import { ExitCode, UserError } from '../errors.js';
import { consoleLogger, type Logger } from '../log/logger.js';
import { reportFailure } from '../log/report-failure.js';
import { proxyEnvFrom } from '../dependencies/proxy.js';
import { formatBytes } from '../log/format-bytes.js';
import { parseMirror } from './mirror.js';
import {
  defaultCacheDir,
  parsePackageArgs,
  USAGE,
  type PackageCommand,
  type VerifyCommand,
} from './package-args.js';
import { packageBuildpack } from './package-buildpack.js';
import { verifyZip } from './verify-zip.js';

/** The repository root: this file is src/packaging/main.ts. */
const REPO_ROOT = resolve(import.meta.dirname, '../..');

async function main(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  const log = consoleLogger(Boolean(env.BP_DEBUG), 'tool');
  try {
    const command = parsePackageArgs(argv, env);
    if (command.command === 'help') {
      console.log(USAGE);
      return ExitCode.ok;
    }
    if (command.command === 'verify') await runVerify(command, env, cwd, log);
    else await runPackage(command, env, cwd, log);
    return ExitCode.ok;
  } catch (error) {
    return reportFailure(error, log, 'package the buildpack', 'set BP_DEBUG=1 for the stack trace');
  }
}

async function runPackage(
  command: PackageCommand,
  env: NodeJS.ProcessEnv,
  cwd: string,
  log: Logger,
): Promise<void> {
  const root = command.source ? resolve(cwd, command.source) : REPO_ROOT;
  const started = Date.now();
  const result = await packageBuildpack(
    {
      root,
      cached: command.cached,
      stack: command.stack,
      version: command.version ?? (await readVersion(root)),
      outputDir: resolve(cwd, command.output ?? join(REPO_ROOT, 'out')),
      mirror: command.mirror ? parseMirror(command.mirror, cwd) : undefined,
      cacheDir: resolve(cwd, command.cacheDir ?? defaultCacheDir(env, homedir())),
      transport: transportOptions(env, log),
      profile: command.profile,
      exclude: command.exclude,
      include: command.include,
    },
    log,
  );
  log.header(`Wrote ${result.path}`);
  log.detail(`size:   ${formatBytes(result.bytes)} (${result.bytes} bytes)`);
  log.detail(`sha256: ${result.sha256}`);
  log.detail(
    `${result.dependencies} dependencies packaged, in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
}

async function runVerify(
  command: VerifyCommand,
  env: NodeJS.ProcessEnv,
  cwd: string,
  log: Logger,
): Promise<void> {
  const result = await verifyZip(
    {
      zip: resolve(cwd, command.zip),
      ...(command.app !== undefined ? { app: resolve(cwd, command.app) } : {}),
      stack: command.stack,
      offline: command.offline,
      hostPath: env.PATH ?? '/usr/bin:/bin',
      hostProxyEnv: pick(env, [
        'http_proxy',
        'HTTP_PROXY',
        'https_proxy',
        'HTTPS_PROXY',
        'no_proxy',
        'NO_PROXY',
      ]),
    },
    log,
  );
  log.header(
    `Verified: staged in ${(result.stagingMs / 1000).toFixed(1)}s on ${result.stack}, ${result.offline ? `offline (${result.isolation}), ${result.connectionAttempts} connection attempts` : 'online'}`,
  );
}

/** The VERSION file, the default for --version. */
async function readVersion(root: string): Promise<string> {
  const text = await readFile(join(root, 'VERSION'), 'utf8').catch(() => {
    throw new UserError(`no VERSION file in ${root}`, {
      file: 'VERSION',
      hint: 'restore it (git checkout VERSION) or pass --version V',
    });
  });
  const version = text.trim();
  if (!/^[0-9A-Za-z][0-9A-Za-z.+-]*$/.test(version)) {
    throw new UserError(`${JSON.stringify(version)} is not a version like 1.2.3`, {
      file: 'VERSION',
      hint: 'or pass --version V',
    });
  }
  return version;
}

/** Downloads honour the packager's own HTTP(S)_PROXY / NO_PROXY, like staging does. */
function transportOptions(env: NodeJS.ProcessEnv, log: Logger): TransportOptions {
  return {
    ...DEFAULT_TRANSPORT,
    proxyEnv: proxyEnvFrom(env),
    onRetry: (message) => log.warning(message),
    tryAgain: 'running scripts/package.sh again',
  };
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((n) => (env[n] === undefined ? [] : [[n, env[n] as string]])));
}

process.exitCode = await main(process.argv.slice(2), process.env, process.cwd());
