/**
 * The lifecycle's launcher, as Diego starts every process of a buildpack app, the app AND each
 * sidecar (cf-contract sections 4 and 7): `cd /home/vcap && launcher app COMMAND ""`. The launcher
 * sets up the environment (launcher-env.ts) and execs `bash -c SCRIPT launcher APP_DIR COMMAND`
 * with the script below: the text buildpackapplifecycle's launcher_unix.go writes, so profile
 * scripts see the same $0, $1, $2, working directory and "Invoking ..." lines as on Diego.
 */

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

/** The argv the launcher execs: `bash -c SCRIPT launcher APP_DIR COMMAND`. */
export function launcherArgv(appDir: string, command: string, entrypointPrefix: string): string[] {
  return ['-c', launcherScript(entrypointPrefix), LAUNCHER_PATH, appDir, command];
}
