/**
 * What Cloud Controller knows about an app besides its droplet: name, env vars (`cf set-env`
 * applies to staging and to every launch), stack. `stage` writes it next to the droplet so that
 * `run` launches with the same env, as a push does.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StagingResult } from './staging/staging-result.js';

export interface AppRecord {
  name: string;
  stack: string;
  env: Record<string, string>;
  /** VCAP_SERVICES JSON. */
  vcapServices: string;
}

/**
 * A staged app on disk: `<dir>/droplet/` (app/, deps/, profile.d/, staging_info.yml, tmp/, logs/
 * as unpacked into /home/vcap), `<dir>/result.json` and `<dir>/app.json`.
 */
export const STAGED_LAYOUT = { droplet: 'droplet', result: 'result.json', app: 'app.json' } as const;

/** Every buildpack with a `name`, "" without a config.yml, as the lifecycle writes it. */
export function namedBuildpacks(buildpacks: StagingResult['lifecycle_metadata']['buildpacks']) {
  return buildpacks.map((b) => ({ ...b, name: b.name ?? '' }));
}

/**
 * result.json in the lifecycle's own shape: `sidecars` is left out when there are none (Go's
 * omitempty), and every buildpack has a `name`, "" without a config.yml.
 */
export function resultJson(result: StagingResult): Omit<StagingResult, 'sidecars'> & { sidecars?: unknown } {
  const { sidecars, ...rest } = result;
  return {
    ...rest,
    lifecycle_metadata: {
      ...rest.lifecycle_metadata,
      buildpacks: namedBuildpacks(rest.lifecycle_metadata.buildpacks),
    },
    ...(sidecars.length > 0 ? { sidecars } : {}),
  };
}

export async function writeStaged(dir: string, result: StagingResult, app: AppRecord): Promise<void> {
  await writeFile(join(dir, STAGED_LAYOUT.result), JSON.stringify(resultJson(result), null, 2) + '\n');
  await writeFile(join(dir, STAGED_LAYOUT.app), JSON.stringify(app, null, 2) + '\n');
}

export async function readStaged(dir: string): Promise<{ result: StagingResult; app: AppRecord }> {
  const read = async <T>(name: string): Promise<T> => {
    try {
      return JSON.parse(await readFile(join(dir, name), 'utf8')) as T;
    } catch (cause) {
      throw new Error(`failed to read ${name} in ${dir}: is it a directory written by cf-local stage?`, {
        cause,
      });
    }
  };
  const result = await read<Omit<StagingResult, 'sidecars'> & { sidecars?: StagingResult['sidecars'] }>(
    STAGED_LAYOUT.result,
  );
  return {
    result: { ...result, sidecars: result.sidecars ?? [] },
    app: await read<AppRecord>(STAGED_LAYOUT.app),
  };
}
