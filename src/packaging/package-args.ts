/**
 * scripts/package.sh's command line, parsed once into a typed request (pure: argv and env in,
 * data out). Flags follow CF's buildpack-packager where it has one (`--cached`, `--stack`,
 * `--any-stack`, `--version`).
 */
import { UserError } from '../errors.js';

export const USAGE = `usage: scripts/package.sh [--cached] [--stack STACK | --any-stack] [--version V] [--output DIR]
                          [--mirror DIR|URL] [--cache-dir DIR] [--source DIR]
                          [--profile NAME] [--exclude DEPS] [--include DEPS]
       scripts/package.sh --verify ZIP [--app DIR] [--stack STACK] [--offline | --online]

  --cached         carry every dependency for the stack in the zip (offline staging)
  --stack STACK    only STACK's dependencies; manifest gets a top-level stack: (default: --any-stack)
  --version V      version in the zip name and VERSION (default: the VERSION file)
  --output DIR     where the zip is written (default: out/)
  --mirror M       fetch dependencies from directory M, or URL prefix M, by the basename of their
                   uri (default: $SIDECAR_BUILDPACK_MIRROR, else the manifest uris)
  --cache-dir DIR  download cache kept between runs (default: $SIDECAR_BUILDPACK_CACHE, else
                   $XDG_CACHE_HOME/sidecar-buildpack or ~/.cache/sidecar-buildpack)
  --source DIR     package this buildpack tree instead of the repository (its dist/ as is)
  --profile NAME   (--cached) leave out the dependencies of manifest.yml packaging_profiles.NAME
  --exclude DEPS   (--cached) leave out these dependencies too (comma-separated names)
  --include DEPS   (--cached, with --profile) keep these, though the profile leaves them out
  --verify ZIP     unpack ZIP and stage a sample app of its sidecars with it, without node on
                   PATH; a cached zip stages with all network refused. Then checks launch.yml.
  --app DIR        the app --verify stages (default: one naming every sidecar of the zip's manifest)
  --offline        --verify with network refused even for an online zip (expected to fail)
  --online         --verify with network allowed even for a cached zip`;

export interface PackageCommand {
  command: 'package';
  cached: boolean;
  stack?: string;
  version?: string;
  output?: string;
  mirror?: string;
  cacheDir?: string;
  source?: string;
  /** A `packaging_profiles` entry of manifest.yml (cached zips only). */
  profile?: string;
  /** Dependency names to leave out of a cached zip, and to keep despite the profile. */
  exclude: string[];
  include: string[];
}

export interface VerifyCommand {
  command: 'verify';
  zip: string;
  app?: string;
  stack?: string;
  /** undefined: decided by the zip (offline iff it carries dependencies). */
  offline?: boolean;
}

export type PackagerCommand = PackageCommand | VerifyCommand | { command: 'help' };

export type PackagerEnv = Record<string, string | undefined>;

export function parsePackageArgs(argv: string[], env: PackagerEnv): PackagerCommand {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const valued = [
    '--stack',
    '--version',
    '--output',
    '--mirror',
    '--cache-dir',
    '--source',
    '--verify',
    '--app',
    '--profile',
  ];
  /** Flags that may repeat; their comma-separated values add up. */
  const lists = new Map<string, string[]>([
    ['--exclude', []],
    ['--include', []],
  ]);
  const booleans = ['--cached', '--any-stack', '--offline', '--online', '--help', '-h'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const [name, inline] =
      arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const list = lists.get(name);
    if (list) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '' || (inline === undefined && value.startsWith('--')))
        throw usageError(`${name} needs a comma-separated list of dependency names`);
      list.push(
        ...value
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean),
      );
    } else if (valued.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '' || (inline === undefined && value.startsWith('--')))
        throw usageError(`${name} needs a value`);
      values.set(name, value);
    } else if (booleans.includes(name) && inline === undefined) {
      flags.add(name);
    } else {
      throw usageError(`unknown argument "${arg}"`);
    }
  }
  if (flags.has('--help') || flags.has('-h')) return { command: 'help' };
  if (values.has('--stack') && flags.has('--any-stack'))
    throw usageError('--stack and --any-stack exclude each other');

  const zip = values.get('--verify');
  if (zip !== undefined) {
    for (const f of ['--cached', '--any-stack'])
      if (flags.has(f)) throw usageError(`${f} does not apply to --verify`);
    for (const v of ['--version', '--output', '--mirror', '--cache-dir', '--source', '--profile'])
      if (values.has(v)) throw usageError(`${v} does not apply to --verify`);
    for (const [l, names] of lists) if (names.length) throw usageError(`${l} does not apply to --verify`);
    if (flags.has('--offline') && flags.has('--online'))
      throw usageError('--offline and --online exclude each other');
    return {
      command: 'verify',
      zip,
      app: values.get('--app'),
      stack: values.get('--stack'),
      offline: flags.has('--offline') ? true : flags.has('--online') ? false : undefined,
    };
  }
  for (const f of ['--offline', '--online'])
    if (flags.has(f)) throw usageError(`${f} applies only to --verify`);
  if (values.has('--app')) throw usageError('--app applies only to --verify');
  const exclude = lists.get('--exclude') ?? [];
  const include = lists.get('--include') ?? [];
  const profile = values.get('--profile');
  // As buildpack-packager: these shape what a cached zip carries, and --include overrides a profile.
  if (!flags.has('--cached') && (profile !== undefined || exclude.length || include.length))
    throw usageError('--profile, --exclude and --include apply only to --cached zips');
  if (include.length && profile === undefined) throw usageError('--include needs --profile');
  return {
    command: 'package',
    cached: flags.has('--cached'),
    stack: values.get('--stack'),
    version: values.get('--version'),
    output: values.get('--output'),
    mirror: values.get('--mirror') ?? nonEmpty(env.SIDECAR_BUILDPACK_MIRROR),
    cacheDir: values.get('--cache-dir') ?? nonEmpty(env.SIDECAR_BUILDPACK_CACHE),
    source: values.get('--source'),
    ...(profile !== undefined ? { profile } : {}),
    exclude,
    include,
  };
}

/** The default download cache: XDG's cache dir, as other developer tools on Linux use. */
export function defaultCacheDir(env: PackagerEnv, home: string): string {
  const base = nonEmpty(env.XDG_CACHE_HOME) ?? `${home}/.cache`;
  return `${base}/sidecar-buildpack`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() !== '' ? value : undefined;
}

function usageError(message: string): UserError {
  return new UserError(message, { hint: 'run scripts/package.sh --help for the flags' });
}
