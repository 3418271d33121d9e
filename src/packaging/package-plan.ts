/**
 * What a zip will hold, decided from manifest.yml alone (pure, no I/O): which dependencies it
 * carries and the manifest.yml written into it.
 *
 * The rules are libbuildpack's packager's (cf-contract section 5):
 * - with a stack, only that stack's dependencies are kept, `cf_stacks` is dropped and a top-level
 *   `stack:` is added (Cloud Controller reads it at `cf create-buildpack`); online zips too, so an
 *   online zip named for a stack never offers another stack's downloads;
 * - a cached zip gets a `file:` key on each dependency, pointing at its packaged copy.
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
}

/** One file a cached zip must carry: the manifest entry and its place in the zip. */
export interface PlannedDownload {
  dependency: ManifestDependency;
  /** `dependencies/<md5 of uri>/<basename>`. */
  path: string;
}

export interface PackagePlan {
  /** The manifest to write into the zip; undefined means "copy manifest.yml byte for byte". */
  manifest?: BuildpackManifest;
  downloads: PlannedDownload[];
}

export function planPackage(manifest: BuildpackManifest, request: PlanRequest): PackagePlan {
  const { cached, stack } = request;
  if (stack !== undefined) assertKnownStack(manifest, stack);

  const kept = manifest.dependencies.filter(
    (d) => stack === undefined || (d.cf_stacks ?? []).includes(stack),
  );
  if (cached) assertHasRuntime(kept, stack);
  if (!cached && stack === undefined) return { downloads: [] };

  const downloads: PlannedDownload[] = cached
    ? kept.map((d) => ({ dependency: d, path: packagedPath(d.uri) }))
    : [];
  const dependencies = kept.map((d) =>
    rewriteDependency(d, { stack, file: cached ? packagedPath(d.uri) : undefined }),
  );

  const rewritten: BuildpackManifest =
    stack === undefined ? { ...manifest, dependencies } : withStack(manifest, stack, dependencies);
  return { manifest: rewritten, downloads };
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
