/**
 * Reads the buildpack's manifest.yml. It is ours, not the user's, so a broken manifest is a
 * packaging bug reported as a UserError for the operator who edited it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../errors.js';
import type { BuildpackManifest, ManifestDependency } from './manifest-types.js';

export async function loadManifest(buildpackDir: string): Promise<BuildpackManifest> {
  const file = join(buildpackDir, 'manifest.yml');
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new UserError(`cannot be read: ${error.message}`, {
      file: 'manifest.yml',
      hint: 'The buildpack is incomplete; re-install it.',
    });
  });
  return parseManifest(text);
}

/** Parses and checks the fields the buildpack relies on. */
export function parseManifest(text: string): BuildpackManifest {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new UserError(`is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      file: 'manifest.yml',
    });
  }
  if (!isRecord(raw)) throw new UserError('expected a map at the top level', { file: 'manifest.yml' });
  const dependencies = Array.isArray(raw.dependencies) ? raw.dependencies : [];
  dependencies.forEach((dep: unknown, i: number) => checkDependency(dep, i));
  return {
    language: String(raw.language ?? 'sidecar'),
    ...(typeof raw.stack === 'string' ? { stack: raw.stack } : {}),
    default_versions: Array.isArray(raw.default_versions) ? raw.default_versions : [],
    dependency_deprecation_dates: Array.isArray(raw.dependency_deprecation_dates)
      ? raw.dependency_deprecation_dates
      : [],
    dependencies: dependencies as ManifestDependency[],
    ...(Array.isArray(raw.include_files) ? { include_files: raw.include_files as string[] } : {}),
    ...(typeof raw.pre_package === 'string' ? { pre_package: raw.pre_package } : {}),
    ...(isRecord(raw.packaging_profiles)
      ? { packaging_profiles: raw.packaging_profiles as BuildpackManifest['packaging_profiles'] }
      : {}),
    ...(isRecord(raw.sidecar_defaults)
      ? { sidecar_defaults: raw.sidecar_defaults as BuildpackManifest['sidecar_defaults'] }
      : {}),
  };
}

function checkDependency(dep: unknown, index: number): void {
  const key = `dependencies[${index}]`;
  if (!isRecord(dep)) throw new UserError('expected a map', { file: 'manifest.yml', key });
  for (const field of ['name', 'version', 'uri', 'sha256'] as const) {
    if (typeof dep[field] !== 'string' || dep[field] === '') {
      throw new UserError(`is missing or not a string`, { file: 'manifest.yml', key: `${key}.${field}` });
    }
  }
  // Compared with what the hash prints (lower case): an upper-case pin is the same pin.
  const sha256 = String(dep.sha256).toLowerCase();
  dep.sha256 = sha256;
  if (!/^[0-9a-f]{64}$/.test(sha256)) {
    throw new UserError('is not a sha256 (64 hex characters)', {
      file: 'manifest.yml',
      key: `${key}.sha256`,
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
