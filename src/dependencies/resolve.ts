/**
 * Picks the manifest dependency a sidecar asks for: by name, stack and version pattern (the
 * highest match, as libbuildpack does), and says what deserves a warning. Pure.
 */
import semver from 'semver';
import { UserError } from '../errors.js';
import type { BuildpackManifest, ManifestDependency } from './manifest-types.js';

export interface Resolution {
  dependency: ManifestDependency;
  /** Sentences for `**WARNING**` lines (newer patch available, deprecation near). */
  warnings: string[];
}

const DEPRECATION_WARNING_DAYS = 30;

/** Dependencies of `name` that run on `stack`. */
export function candidatesFor(
  manifest: BuildpackManifest,
  name: string,
  stack: string,
): ManifestDependency[] {
  return manifest.dependencies.filter(
    (d) =>
      d.name === name &&
      (d.cf_stacks ? d.cf_stacks.includes(stack) : !manifest.stack || manifest.stack === stack),
  );
}

/**
 * Resolves `name` at `pattern` (undefined: the manifest's default_versions, else the highest).
 * Patterns are libbuildpack's: `1.2.3`, `1.2.x`, `1.x`, or any semver range.
 */
export function resolveDependency(
  manifest: BuildpackManifest,
  name: string,
  pattern: string | undefined,
  stack: string,
  now: Date,
): Resolution {
  const onStack = candidatesFor(manifest, name, stack);
  if (onStack.length === 0) {
    const anywhere = manifest.dependencies.filter((d) => d.name === name);
    const known = [...new Set(manifest.dependencies.map((d) => d.name))].filter((n) => n !== 'node').sort();
    throw new UserError(
      anywhere.length
        ? `dependency "${name}" has no build for stack ${stack} (it has: ${[...new Set(anywhere.flatMap((d) => d.cf_stacks ?? []))].join(', ') || 'none'})`
        : `dependency "${name}" is not in this buildpack (it offers: ${known.join(', ') || 'none'})`,
      { hint: anywhere.length ? undefined : 'Use one of those names, or give a uri and sha256 instead.' },
    );
  }
  const wanted = pattern ?? manifest.default_versions.find((d) => d.name === name)?.version ?? '*';
  const versions = onStack.map((d) => d.version);
  const range = toRange(wanted);
  const chosen = range ? semver.maxSatisfying(versions, range) : null;
  if (!chosen) {
    throw new UserError(
      `no version of dependency "${name}" matches ${JSON.stringify(wanted)} on ${stack} (available: ${sortVersions(versions).join(', ')})`,
    );
  }
  const dependency = onStack.find((d) => d.version === chosen) as ManifestDependency;
  return { dependency, warnings: warningsFor(manifest, dependency, versions, now) };
}

/** `1.2.x` and `22.x.x` are semver ranges already; `latest` means any version. */
function toRange(pattern: string): string | null {
  const text = pattern.trim() === 'latest' ? '*' : pattern.trim();
  return semver.validRange(text);
}

function sortVersions(versions: string[]): string[] {
  return [...new Set(versions)].sort((a, b) =>
    semver.valid(a) && semver.valid(b) ? semver.compare(a, b) : a.localeCompare(b),
  );
}

function warningsFor(
  manifest: BuildpackManifest,
  dep: ManifestDependency,
  versions: string[],
  now: Date,
): string[] {
  const warnings: string[] = [];
  const newerPatch = semver.maxSatisfying(versions, `~${dep.version}`);
  if (newerPatch && semver.gt(newerPatch, dep.version)) {
    warnings.push(
      `A newer version of ${dep.name} is available in this buildpack: ${newerPatch} (you get ${dep.version}); consider a pattern like ${semver.major(dep.version)}.${semver.minor(dep.version)}.x`,
    );
  }
  for (const line of manifest.dependency_deprecation_dates) {
    if (line.name !== dep.name || !semver.satisfies(dep.version, line.version_line)) continue;
    const date = new Date(`${line.date}T00:00:00Z`);
    const days = Math.floor((date.getTime() - now.getTime()) / 86_400_000);
    if (days < 0)
      warnings.push(
        `${dep.name} ${line.version_line} reached its end of support on ${line.date}${line.link ? ` (${line.link})` : ''}; move to a newer version line`,
      );
    else if (days <= DEPRECATION_WARNING_DAYS)
      warnings.push(
        `${dep.name} ${line.version_line} is deprecated on ${line.date}, in ${days} days${line.link ? ` (${line.link})` : ''}`,
      );
  }
  return warnings;
}
