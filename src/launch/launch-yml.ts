/**
 * Reading and writing launch.yml and config.yml in DEPS_DIR/INDEX. Written through a temp file and
 * a rename, so the lifecycle never sees a half-written file.
 */
import { readFile } from 'node:fs/promises';
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

export async function writeLaunchYml(depsDir: string, depsIdx: string, launch: LaunchYml): Promise<void> {
  await writeYamlFile(launchYmlPath(depsDir, depsIdx), launch);
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
