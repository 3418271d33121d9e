/**
 * The command line of cf-local, parsed into typed options once (pure: argv in, options out).
 *
 *   stage APP_DIR [-b BUILDPACK ...] [--env K=V ...] [--stack cflinuxfs4] [--out DIR]
 *         [--cache-dir DIR] [--memory 1G] [--staging-memory 1G] [--system-buildpack BP ...]
 *         [--name NAME] [--vcap-services JSON] [--host-node]
 *   run STAGED_DIR [--memory 1G] [--process web] [--instances N] [--env K=V ...]
 *         [--no-sidecar-memory-subtraction] [--no-memory-limit] [--no-restart]
 *         [--health-check-type port|process] [--health-check-timeout SECONDS]
 *         [--stop-grace SECONDS] [--ready-file FILE] [--host-node]
 */
import { parseMemoryMb } from './run/memory.js';
import type { RunOptions } from './run/run.js';
import type { StageOptions } from './staging/stage.js';

export type Command =
  | { name: 'stage'; options: StageOptions }
  | { name: 'run'; options: RunOptions; readyFile?: string }
  | { name: 'help' };

export const USAGE = `usage:
  cf-local stage APP_DIR -b BUILDPACK [-b BUILDPACK ...] [--env K=V ...] [--stack cflinuxfs4]
                 [--out DIR] [--cache-dir DIR] [--memory 1G] [--staging-memory 1G]
                 [--system-buildpack BUILDPACK ...] [--name NAME] [--vcap-services JSON]
                 [--host-node]
  cf-local run STAGED_DIR [--memory 1G] [--process web] [--instances N] [--env K=V ...]
                 [--no-sidecar-memory-subtraction] [--no-memory-limit] [--no-restart]
                 [--health-check-type port|process] [--health-check-timeout SECONDS]
                 [--stop-grace SECONDS] [--ready-file FILE] [--host-node]
BUILDPACK is a directory or a zip. STAGED_DIR is the directory stage prints.
Containers see the host's tools except node (the stack has none); --host-node keeps it.`;

export class UsageError extends Error {
  override name = 'UsageError';
}

class Reader {
  private at = 0;
  constructor(private readonly argv: readonly string[]) {}
  next(): string | undefined {
    return this.argv[this.at++];
  }
  value(flag: string): string {
    const v = this.next();
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  }
}

function envPair(text: string, env: Record<string, string>): void {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--env wants K=V, got "${text}"`);
  const name = text.slice(0, eq);
  // As Cloud Controller refuses them in `cf set-env` and a manifest's env:.
  if (name.startsWith('VCAP_') || name === 'PORT')
    throw new UsageError(
      `--env ${name}: Cloud Controller refuses user environment variables named VCAP_* or PORT`,
    );
  env[name] = text.slice(eq + 1);
}

/** VCAP_SERVICES as given (service bindings), checked to be a JSON object. */
function jsonObject(flag: string, text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return text;
  } catch {
    // reported below
  }
  throw new UsageError(`${flag} wants a JSON object such as {"user-provided":[...]}`);
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} wants a positive integer, got "${text}"`);
  return n;
}

function memoryMb(flag: string, text: string): number {
  try {
    return parseMemoryMb(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

export function parseArgs(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  if (rest.includes('--help') || rest.includes('-h')) return { name: 'help' };
  if (name === 'stage') return parseStage(rest);
  if (name === 'run') return parseRun(rest);
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return { name: 'help' };
  throw new UsageError(`unknown command "${name}"`);
}

function parseStage(argv: readonly string[]): Command {
  const r = new Reader(argv);
  const env: Record<string, string> = {};
  const buildpacks: string[] = [];
  const systemBuildpacks: string[] = [];
  const options: Partial<StageOptions> = {};
  for (let arg = r.next(); arg !== undefined; arg = r.next()) {
    if (arg === '-b' || arg === '--buildpack') buildpacks.push(r.value(arg));
    else if (arg === '--env' || arg === '-e') envPair(r.value(arg), env);
    else if (arg === '--stack') options.stack = r.value(arg);
    else if (arg === '--out') options.outDir = r.value(arg);
    else if (arg === '--cache-dir') options.cacheDir = r.value(arg);
    else if (arg === '--name') options.appName = r.value(arg);
    else if (arg === '--memory' || arg === '-m') options.processMemoryMb = memoryMb(arg, r.value(arg));
    else if (arg === '--staging-memory') options.stagingMemoryMb = memoryMb(arg, r.value(arg));
    else if (arg === '--system-buildpack') systemBuildpacks.push(r.value(arg));
    else if (arg === '--host-node') options.hostNode = true;
    else if (arg === '--vcap-services') options.vcapServices = jsonObject(arg, r.value(arg));
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (options.appDir === undefined) options.appDir = arg;
    else throw new UsageError(`unexpected argument "${arg}"`);
  }
  if (!options.appDir) throw new UsageError('stage needs APP_DIR');
  if (buildpacks.length === 0 && systemBuildpacks.length === 0) {
    throw new UsageError('stage needs -b BUILDPACK (or --system-buildpack candidates to detect from)');
  }
  return {
    name: 'stage',
    options: { ...options, appDir: options.appDir, buildpacks, systemBuildpacks, env },
  };
}

function parseRun(argv: readonly string[]): Command {
  const r = new Reader(argv);
  const env: Record<string, string> = {};
  let readyFile: string | undefined;
  const options: Partial<RunOptions> = {};
  for (let arg = r.next(); arg !== undefined; arg = r.next()) {
    if (arg === '--memory' || arg === '-m') {
      options.memory = r.value(arg);
      memoryMb(arg, options.memory);
    } else if (arg === '--process') options.processType = r.value(arg);
    else if (arg === '--instances' || arg === '-i') options.instances = positiveInt(arg, r.value(arg));
    else if (arg === '--env' || arg === '-e') envPair(r.value(arg), env);
    else if (arg === '--no-sidecar-memory-subtraction') options.subtractSidecarMemory = false;
    else if (arg === '--no-memory-limit') options.enforceMemoryLimit = false;
    else if (arg === '--no-restart') options.restart = false;
    else if (arg === '--host-node') options.hostNode = true;
    else if (arg === '--health-check-type') {
      const type = r.value(arg);
      if (type !== 'port' && type !== 'process')
        throw new UsageError(`${arg} is port or process, got "${type}"`);
      options.healthCheckType = type;
    } else if (arg === '--health-check-timeout')
      options.healthCheckTimeoutMs = positiveInt(arg, r.value(arg)) * 1000;
    else if (arg === '--stop-grace') options.stopGraceMs = positiveInt(arg, r.value(arg)) * 1000;
    else if (arg === '--ready-file') readyFile = r.value(arg);
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (options.stagedDir === undefined) options.stagedDir = arg;
    else throw new UsageError(`unexpected argument "${arg}"`);
  }
  if (!options.stagedDir) throw new UsageError('run needs STAGED_DIR (the directory stage printed)');
  return {
    name: 'run',
    options: { ...options, stagedDir: options.stagedDir, env },
    ...(readyFile ? { readyFile } : {}),
  };
}
