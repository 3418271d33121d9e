/**
 * The lifecycle's launcher, as Diego starts every process of a buildpack app, the app AND each
 * sidecar (cf-contract sections 4 and 7): `cd /home/vcap && launcher app COMMAND ""`. The launcher
 * sets up the environment (launcher-env.ts) and execs `bash -c SCRIPT launcher APP_DIR COMMAND`
 * with the script below: the text buildpackapplifecycle's launcher_unix.go writes, so profile
 * scripts see the same $0, $1, $2, working directory and "Invoking ..." lines as on Diego.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launcherEnv } from './launcher-env.js';

/** Diego's path of the launcher binary: the script's $0 while profile scripts run. */
export const LAUNCHER_PATH = '/tmp/lifecycle/launcher';

/**
 * The script, with `bash -c` as the entry point, or the final buildpack's config.yml
 * `entrypoint_prefix` (staging_info.yml), which bash splits into words where it stands.
 */
export function launcherScript(entrypointPrefix: string): string {
  const entryPoint = entrypointPrefix === '' ? 'bash -c' : entrypointPrefix;
  return `
cd "$1"

echo 'Invoking pre-start scripts.'

if [ -n "$(ls ../profile.d/* 2> /dev/null)" ]; then
  for env_file in ../profile.d/*; do
    source $env_file
  done
fi

if [ -n "$(ls .profile.d/* 2> /dev/null)" ]; then
  for env_file in .profile.d/*; do
    source $env_file
  done
fi

if [ -f .profile ]; then
  source .profile
fi

shift

echo 'Invoking start command.'

exec ${entryPoint} "$@"
`;
}

/** What `cd HOME && launcher app COMMAND ""` execs: bash's argv, working dir and env. */
export interface Launch {
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/**
 * The launch of COMMAND in the container whose /home/vcap is `home`, with the container's env;
 * `entrypointPrefix` is staging_info.yml's (readEntrypointPrefix).
 */
export function launch(
  home: string,
  command: string,
  env: Readonly<Record<string, string>>,
  entrypointPrefix: string,
): Launch {
  const appDir = join(home, 'app');
  return {
    args: ['-c', launcherScript(entrypointPrefix), LAUNCHER_PATH, appDir, command],
    cwd: home,
    env: launcherEnv(env, appDir),
  };
}

/** staging_info.yml's `config.entrypoint_prefix`, as the launcher reads it; '' when none. */
export async function readEntrypointPrefix(home: string): Promise<string> {
  const text = await readFile(join(home, 'staging_info.yml'), 'utf8').catch(() => '');
  try {
    const info = JSON.parse(text) as { config?: { entrypoint_prefix?: unknown } };
    return typeof info.config?.entrypoint_prefix === 'string' ? info.config.entrypoint_prefix : '';
  } catch {
    return '';
  }
}
