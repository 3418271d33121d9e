/**
 * What a zip will hold, decided from manifest.yml alone (pure, no I/O): which dependencies it
 * carries and the manifest.yml written into it.
 *
 * The rules are libbuildpack's packager's (cf-contract section 5):
 * - with a stack, only that stack's dependencies are kept, `cf_stacks` is dropped and a top-level
 *   `stack:` is added (Cloud Controller reads it at `cf create-buildpack`); online zips too, so an
 *   online zip named for a stack never offers another stack's downloads;
 * - a cached zip gets a `file:` key on each dependency, pointing at its packaged copy;
 * - our zips for a stack, online and cached, carry the Node runtime unpacked (its `bin/node` at
 *   runtimePath), and its `file:` key points there: the cell unpacks a buildpack zip once and
 *   mounts it into every staging, so the shims run it in place and no staging unpacks or caches
 *   a runtime (buildpack-packager's zips keep the .tgz, which the shims still unpack);
 * - a cached zip may leave dependencies out (a `packaging_profiles` entry, --exclude, --include);
 *   they are gone from its manifest too.
 */
import { UserError } from '../errors.js';
import type { BuildpackManifest, ManifestDependency } from '../dependencies/manifest-types.js';
import { packagedPath } from './packaged-path.js';

/** The dependency the bin/ shims run the buildpack with; an offline zip is useless without it. */
export const RUNTIME_DEPENDENCY = 'node';

export interface PlanRequest {
  cached: boolean;
  /** A stack name, or undefined for an any-stack zip. */
  stack?: string;
  /** Cached zips only: a packaging_profiles entry, and names to leave out or keep on top of it. */
  profile?: string;
  exclude?: string[];
  include?: string[];
}

/** One file a zip must carry: the manifest entry and its place in the zip. */
export interface PlannedDownload {
  dependency: ManifestDependency;
  /** `dependencies/<md5 of uri>/<basename>`, or runtimePath for the unpacked runtime. */
  path: string;
  /** Carry the runtime's `bin/node` out of the .tgz, unpacked, instead of the .tgz. */
  unpackRuntime?: boolean;
}

/**
 * Where a zip carries the Node runtime unpacked: `dependencies/node-runtime/<version>-<sha256
 * prefix>/bin/node`. The bin/ shims run a `file:` that ends in `/bin/node` in place.
 */
export function runtimePath(d: ManifestDependency): string {
  return `dependencies/node-runtime/${d.version}-${d.sha256.toLowerCase().slice(0, 12)}/bin/node`;
}

export interface PackagePlan {
  /** The manifest to write into the zip; undefined means "copy manifest.yml byte for byte". */
  manifest?: BuildpackManifest;
  downloads: PlannedDownload[];
  /** Dependency names left out of a cached zip. */
  excluded: string[];
  /** True when --exclude or --include changed a profile's set, or --exclude was used alone. */
  custom: boolean;
}

export function planPackage(manifest: BuildpackManifest, request: PlanRequest): PackagePlan {
  const { cached, stack } = request;
  if (stack !== undefined) assertKnownStack(manifest, stack);
  const { excluded, custom } = cached
    ? exclusions(manifest, request)
    : { excluded: new Set<string>(), custom: false };

  const kept = manifest.dependencies.filter(
    (d) => !excluded.has(d.name) && (stack === undefined || (d.cf_stacks ?? []).includes(stack)),
  );
  if (cached) assertHasRuntime(kept, stack);
  const left = { excluded: [...excluded].sort(), custom };
  if (!cached && stack === undefined) return { downloads: [], ...left };

  const isRuntime = (d: ManifestDependency) => d.name === RUNTIME_DEPENDENCY;
  const downloads: PlannedDownload[] = kept
    .filter((d) => cached || isRuntime(d))
    .map((d) =>
      isRuntime(d)
        ? { dependency: d, path: runtimePath(d), unpackRuntime: true }
        : { dependency: d, path: packagedPath(d.uri) },
    );
  const dependencies = kept.map((d) =>
    rewriteDependency(d, {
      stack,
      file: isRuntime(d) ? runtimePath(d) : cached ? packagedPath(d.uri) : undefined,
    }),
  );

  const rewritten: BuildpackManifest =
    stack === undefined ? { ...manifest, dependencies } : withStack(manifest, stack, dependencies);
  return { manifest: rewritten, downloads, ...left };
}

/**
 * Which dependencies a cached zip leaves out, as buildpack-packager decides it: the profile's
 * `exclude` list, plus --exclude, minus --include (which must undo an exclusion, else it is a
 * typo). Every name must be a dependency of the manifest; the Node runtime cannot be left out.
 */
export function exclusions(
  manifest: BuildpackManifest,
  request: Pick<PlanRequest, 'profile' | 'exclude' | 'include'>,
): { excluded: Set<string>; custom: boolean } {
  const names = new Set(manifest.dependencies.map((d) => d.name));
  const known = (name: string, where: string): void => {
    if (!names.has(name))
      throw new UserError(`${where} names "${name}", which is not a dependency of manifest.yml`, {
        file: 'manifest.yml',
        key: 'dependencies',
        hint: `dependencies are: ${[...names].sort().join(', ')}`,
      });
  };
  const excluded = new Set<string>();
  const { profile, exclude = [], include = [] } = request;
  if (profile !== undefined) {
    if (!/^[a-z0-9_-]+$/.test(profile))
      throw new UserError(`profile name "${profile}" is invalid: it must match ^[a-z0-9_-]+$`);
    const entry = manifest.packaging_profiles?.[profile];
    if (!entry)
      throw new UserError(`packaging profile "${profile}" is not in manifest.yml`, {
        file: 'manifest.yml',
        key: 'packaging_profiles',
        hint: `profiles are: ${
          Object.keys(manifest.packaging_profiles ?? {})
            .sort()
            .join(', ') || 'none'
        }`,
      });
    for (const name of entry.exclude ?? []) {
      known(name, `packaging_profiles.${profile}.exclude`);
      excluded.add(name);
    }
  }
  for (const name of exclude) {
    known(name, '--exclude');
    excluded.add(name);
  }
  let overridden = 0;
  for (const name of include) {
    known(name, '--include');
    if (!excluded.delete(name))
      throw new UserError(
        `--include "${name}" has no effect: neither the profile nor --exclude leaves it out`,
      );
    overridden++;
  }
  if (excluded.has(RUNTIME_DEPENDENCY))
    throw new UserError(
      `"${RUNTIME_DEPENDENCY}" cannot be left out of a cached zip: the bin/ scripts run on it`,
      { hint: 'drop it from --exclude or from the profile' },
    );
  return { excluded, custom: exclude.length > 0 || overridden > 0 };
}

/** Stacks named by any dependency, sorted: what `--stack` accepts. */
export function knownStacks(manifest: BuildpackManifest): string[] {
  return [...new Set(manifest.dependencies.flatMap((d) => d.cf_stacks ?? []))].sort();
}

function assertKnownStack(manifest: BuildpackManifest, stack: string): void {
  const stacks = knownStacks(manifest);
  if (!stacks.includes(stack)) {
    throw new UserError(`unknown stack "${stack}": no dependency lists it in cf_stacks`, {
      file: 'manifest.yml',
      hint: stacks.length ? `use one of: ${stacks.join(', ')}, or --any-stack` : 'use --any-stack',
    });
  }
}

function assertHasRuntime(dependencies: ManifestDependency[], stack: string | undefined): void {
  if (!dependencies.some((d) => d.name === RUNTIME_DEPENDENCY)) {
    throw new UserError(
      `no "${RUNTIME_DEPENDENCY}" dependency${stack ? ` for stack ${stack}` : ''}: a cached zip must carry the Node runtime the bin/ scripts run on`,
      {
        file: 'manifest.yml',
        key: 'dependencies',
        hint: `add a ${RUNTIME_DEPENDENCY} entry${stack ? ` with cf_stacks: [${stack}]` : ''}`,
      },
    );
  }
}

/** Puts `stack:` right after `language:`, where readers of the zip's manifest look first. */
function withStack(
  manifest: BuildpackManifest,
  stack: string,
  dependencies: ManifestDependency[],
): BuildpackManifest {
  const { language, stack: _previous, ...rest } = manifest;
  return { language, stack, ...rest, dependencies };
}

function rewriteDependency(
  d: ManifestDependency,
  change: { stack: string | undefined; file: string | undefined },
): ManifestDependency {
  const { cf_stacks, ...rest } = d;
  const out: ManifestDependency =
    change.stack === undefined && cf_stacks ? { ...rest, cf_stacks } : { ...rest };
  if (change.file !== undefined) out.file = change.file;
  return out;
}
