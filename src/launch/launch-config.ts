/**
 * Turns the planned sidecars into launch.yml entries (cf-contract section 2). Pure.
 *
 * The command is expanded by bash at launch, in the container, so it names the install dir as
 * `$DEPS_DIR/<index>/...` (DEPS_DIR is /home/vcap/deps there) and never the staging path.
 */
import type { SidecarRuntimeOptions } from '../config/runtime-options-types.js';
import { runtimeDirAtLaunch } from '../runtime/runtime-config.js';
import type { LaunchProcess, LaunchYml } from './launch-types.js';
import { shellQuote } from './shell-quote.js';

export interface SidecarLaunch {
  name: string;
  /** The user's command, run as-is from the install dir. */
  command: string;
  processTypes: string[];
  memoryMb: number;
  env: Record<string, string>;
  /** What supervise.sh does around the command (runtime.json carries it). */
  runtime?: SidecarRuntimeOptions;
  /** Runs from the app dir ($HOME at launch) instead of an install dir: an app-files sidecar. */
  fromApp?: boolean;
  /** Source runtime/cf-metadata.sh before the command (OTEL_RESOURCE_ATTRIBUTES, CF_APP_NAME, ...). */
  cfMetadata?: boolean;
  /** Discard the command's stdout (`output: errors`): a chatty agent's info lines stay out of cf logs. */
  stdoutDiscarded?: boolean;
}

/** Install dir of a sidecar, relative to DEPS_DIR. */
export function sidecarDir(depsIdx: string, name: string): string {
  return `${depsIdx}/sidecars/${name}`;
}

/** The app dir at launch, /home/vcap/app, named through DEPS_DIR (sidecarCommand). */
export const APP_DIR_AT_LAUNCH = '"$DEPS_DIR/../app"';

/**
 * `cd "$DEPS_DIR/0/sidecars/otel" && export K='v' && exec bash ".../supervise.sh" 'otel' './otelcol ...'`, or
 * `cd "$DEPS_DIR/../app" && ...` for a sidecar in the app's files. Both shapes start with
 * `cd "$DEPS_DIR/`, which only this buildpack writes: profile.sh tells our sidecars' launches
 * from the app's by it (an app's own command may well start with `cd "$HOME"`).
 */
export function sidecarCommand(depsIdx: string, sidecar: SidecarLaunch): string {
  const parts = [
    sidecar.fromApp ? `cd ${APP_DIR_AT_LAUNCH}` : `cd "$DEPS_DIR/${sidecarDir(depsIdx, sidecar.name)}"`,
  ];
  const names = Object.keys(sidecar.env).sort();
  if (names.length > 0)
    parts.push(`export ${names.map((k) => `${k}=${shellQuote(sidecar.env[k] as string)}`).join(' ')}`);
  if (sidecar.cfMetadata) parts.push(`source "${runtimeDirAtLaunch(depsIdx)}/cf-metadata.sh"`);
  parts.push(supervisedCommand(depsIdx, sidecar));
  return parts.join(' && ');
}

/**
 * The user's command, with stdout sent to /dev/null for `output: errors`. The redirect is inside
 * the command the supervisor runs, so the supervisor's own lines still reach cf logs.
 */
function userCommand(sidecar: SidecarLaunch): string {
  return sidecar.stdoutDiscarded ? `exec >/dev/null && ${sidecar.command}` : sidecar.command;
}

/** `exec bash "$DEPS_DIR/0/sidecar_runtime/supervise.sh" 'otel' './otelcol ...'` (src/runtime/supervise.sh). */
export function supervisedCommand(depsIdx: string, sidecar: SidecarLaunch): string {
  return `exec bash "${runtimeDirAtLaunch(depsIdx)}/supervise.sh" ${shellQuote(sidecar.name)} ${shellQuote(userCommand(sidecar))}`;
}

export function sidecarProcess(depsIdx: string, sidecar: SidecarLaunch): LaunchProcess {
  return {
    type: sidecar.name,
    command: sidecarCommand(depsIdx, sidecar),
    platforms: { cloudfoundry: { sidecar_for: [...sidecar.processTypes] } },
    limits: { memory: sidecar.memoryMb },
  };
}

export function buildLaunchYml(
  depsIdx: string,
  sidecars: SidecarLaunch[],
  processes: LaunchProcess[] = [],
): LaunchYml {
  return { processes: [...processes, ...sidecars.map((s) => sidecarProcess(depsIdx, s))] };
}
