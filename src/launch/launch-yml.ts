/**
 * Reading and writing launch.yml and config.yml in DEPS_DIR/INDEX. Written through a temp file and
 * a rename, so the lifecycle never sees a half-written file.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { writeAtomically } from '../fs/write-atomically.js';
import type { DepsConfigYml, LaunchYml } from './launch-types.js';

/**
 * The YAML text of a file the lifecycle reads. Pure. The lifecycle parses it with Go's yaml.v2,
 * which speaks YAML 1.1: there `yes`, `on` or `0755` are not strings, so every string that YAML 1.1
 * would read as something else is quoted. No line folding, so commands stay on one line.
 */
export function lifecycleYaml(data: unknown): string {
  return stringify(data, { lineWidth: 0, version: '1.1' });
}

export async function writeYamlFile(path: string, data: unknown): Promise<void> {
  await writeAtomically(path, lifecycleYaml(data));
}

export function launchYmlPath(depsDir: string, depsIdx: string): string {
  return join(depsDir, depsIdx, 'launch.yml');
}

/**
 * The deps dirs whose launch.yml must hold this buildpack's processes. With 10 or more buildpacks
 * the lifecycle names deps dirs zero-padded (`deps/09`) but reads launch.yml from the unpadded
 * `deps/9` (buildpackapplifecycle MergeLaunchYML, cf-contract section 7), so a padded index gets a
 * copy there too; nothing else of the droplet uses `deps/9`. Pure.
 */
export function launchYmlIndexes(depsIdx: string): string[] {
  const unpadded = String(Number(depsIdx));
  return /^\d+$/.test(depsIdx) && unpadded !== depsIdx ? [depsIdx, unpadded] : [depsIdx];
}

/** The staging log's word on the copy launchYmlIndexes() asks for, if any. Pure. */
export function launchYmlCopyNote(depsIdx: string): string | undefined {
  const copy = launchYmlIndexes(depsIdx)[1];
  return copy === undefined
    ? undefined
    : `INDEX ${depsIdx} is zero-padded (10 or more buildpacks): launch.yml is written to deps/${copy} too, where the lifecycle reads it`;
}

export async function writeLaunchYml(depsDir: string, depsIdx: string, launch: LaunchYml): Promise<void> {
  for (const index of launchYmlIndexes(depsIdx)) {
    await mkdir(join(depsDir, index), { recursive: true });
    await writeYamlFile(launchYmlPath(depsDir, index), launch);
  }
}

export async function readLaunchYml(depsDir: string, depsIdx: string): Promise<LaunchYml | undefined> {
  const text = await readFile(launchYmlPath(depsDir, depsIdx), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = parse(text) as Partial<LaunchYml> | null;
  return { processes: Array.isArray(parsed?.processes) ? parsed.processes : [] };
}

export async function writeDepsConfigYml(
  depsDir: string,
  depsIdx: string,
  config: DepsConfigYml,
): Promise<void> {
  await writeYamlFile(join(depsDir, depsIdx, 'config.yml'), config);
}
