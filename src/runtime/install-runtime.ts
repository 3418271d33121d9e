/**
 * Supply's run-time step: copies the bash of src/runtime/ into the droplet and writes runtime.json.
 *
 *   DEPS_DIR/INDEX/sidecar_runtime/   profile.sh memory-guard.sh ready-wait.sh probe.sh
 *                                     supervise.sh credentials.sh launch-yml-reader.sh
 *                                     cf-metadata.sh proc-tree.sh sidecars.sh
 *                                     bin/sidecars: the status command (runs sidecars.sh)
 *                                     runtime.json
 *                                     process-types/<type>.tsv (runtime-config.ts)
 *                                     other-sidecars.cmd: other buildpacks' sidecars, name and
 *                                     command, each ended by a NUL byte (profile.sh)
 *   DEPS_DIR/INDEX/profile.d/sidecar_buildpack.sh   copy of profile.sh (libbuildpack final
 *                                                   buildpacks copy it to ../profile.d)
 *   BUILD_DIR/.profile.d/sidecar_buildpack.sh       copy of profile.sh (always sourced, also
 *                                                   under the Ruby Java buildpack v4)
 *   BUILD_DIR/.sidecar_buildpack/bin/sidecars       the status command at a stable path,
 *                                                   /home/vcap/app/.sidecar_buildpack/bin/sidecars
 *
 * Both profile.d copies are the same script; the first one sourced does the work and the second
 * returns at once (see profile.sh). Files are written through a temp name and a rename.
 */
import { chmod, copyFile, lstat, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDir } from '../fs/make-dir.js';
import { UserError } from '../errors.js';
import { writeAtomically } from '../fs/write-atomically.js';
import {
  formatProcessTypeRows,
  processTypeRows,
  RUNTIME_DIR_NAME,
  sidecarProcessTypes,
} from './runtime-config.js';
import type { RuntimeJson } from './runtime-types.js';

export { RUNTIME_DIR_NAME };

/** The scripts of src/runtime/, shipped in dist/runtime/ (manifest.yml include_files). */
export const RUNTIME_SCRIPTS = [
  'profile.sh',
  'memory-guard.sh',
  'ready-wait.sh',
  'probe.sh',
  'supervise.sh',
  'credentials.sh',
  'launch-yml-reader.sh',
  'cf-metadata.sh',
  'proc-tree.sh',
  'sidecars.sh',
] as const;
export const PROFILE_SCRIPT_NAME = 'sidecar_buildpack.sh';
/** BUILD_DIR/<this>/bin/sidecars: /home/vcap/app/.sidecar_buildpack/bin/sidecars at run time. */
export const APP_TOOLS_DIR = '.sidecar_buildpack';

/** The `sidecars` command: a wrapper that runs sidecars.sh, `relative` to the wrapper's dir. */
function sidecarsWrapper(relative: string): string {
  return `#!/usr/bin/env bash
# sidecar-buildpack: the state of this container's sidecars (sidecars --json for scripts).
here=\${BASH_SOURCE[0]%/*}
exec bash "$here/${relative}" "$@"
`;
}

/** Where the scripts are in the buildpack: scripts/build.mjs copies src/runtime/*.sh there. */
export function shippedScriptsDir(buildpackDir: string): string {
  return join(buildpackDir, 'dist', 'runtime');
}

export interface InstallRuntimeTarget {
  /** The scripts to copy: shippedScriptsDir(buildpack) at staging, src/runtime in tests. */
  scriptsDir: string;
  buildDir: string;
  depsDir: string;
  depsIdx: string;
  /** SIGTERM: stop between files (an app may have thousands of process types); supply cleans up. */
  signal?: AbortSignal;
}

export async function installRuntime(target: InstallRuntimeTarget, runtime: RuntimeJson): Promise<void> {
  const source = target.scriptsDir;
  const dest = runtimeDir(target.depsDir, target.depsIdx);
  await makeDir(dest);
  for (const script of RUNTIME_SCRIPTS) {
    await copyFile(join(source, script), join(dest, script)).catch((error: unknown) => {
      throw new Error(`failed to install the run-time script ${script} from ${source}`, { cause: error });
    });
    await chmod(join(dest, script), 0o755);
  }
  await writeRuntimeData(dest, runtime, target.signal);

  const profile = await readFile(join(source, 'profile.sh'), 'utf8');
  for (const dir of [
    join(target.depsDir, target.depsIdx, 'profile.d'),
    join(target.buildDir, '.profile.d'),
  ]) {
    await makeDir(dir);
    await writeAtomically(join(dir, PROFILE_SCRIPT_NAME), profile);
  }

  for (const [dir, relative] of [
    [join(dest, 'bin'), '../sidecars.sh'],
    [
      join(target.buildDir, APP_TOOLS_DIR, 'bin'),
      `../../../deps/${target.depsIdx}/${RUNTIME_DIR_NAME}/sidecars.sh`,
    ],
  ] as const) {
    await makeDir(dir);
    await writeAtomically(join(dir, 'sidecars'), sidecarsWrapper(relative));
    await chmod(join(dir, 'sidecars'), 0o755);
  }
}

/**
 * The app's .profile.d and .sidecar_buildpack/bin must be real directories of the app (or
 * absent), and our files in them plain files (or absent): through a symlink a script would land, and a failed staging's clean-up would delete,
 * wherever it points. Checked before anything is fetched or written.
 */
export async function assertAppProfileDir(buildDir: string): Promise<void> {
  for (const [dir, what] of [
    ['.profile.d', 'profile script'],
    [APP_TOOLS_DIR, 'sidecars command'],
    [`${APP_TOOLS_DIR}/bin`, 'sidecars command'],
  ] as const) {
    const info = await lstat(join(buildDir, dir)).catch(() => undefined);
    if (info && !info.isDirectory())
      throw new UserError(
        `is ${info.isSymbolicLink() ? 'a symlink' : 'not a directory'}: sidecar_buildpack writes its ${what} only into a real ${dir} directory of the app`,
        { file: dir, hint: `Push ${dir} as a directory (or not at all), not a link.` },
      );
  }
  // The files themselves: something of the app's in their place (a directory, say) would make
  // the write fail late, and the clean-up after it would remove the app's own files.
  for (const file of [`.profile.d/${PROFILE_SCRIPT_NAME}`, `${APP_TOOLS_DIR}/bin/sidecars`]) {
    const info = await lstat(join(buildDir, file)).catch(() => undefined);
    if (info && !info.isFile())
      throw new UserError(
        `is ${info.isDirectory() ? 'a directory' : info.isSymbolicLink() ? 'a symlink' : 'not a regular file'} of the app, where sidecar_buildpack writes a script of its own; it is left as it is`,
        { file, hint: `Remove ${file} from the app: the name belongs to sidecar_buildpack.` },
      );
  }
}

/** DEPS_DIR/INDEX/sidecar_runtime of a buildpack at `depsIdx`. */
export function runtimeDir(depsDir: string, depsIdx: string): string {
  return join(depsDir, depsIdx, RUNTIME_DIR_NAME);
}

/**
 * runtime.json and what is derived from it for the bash side.
 */
export async function writeRuntimeData(
  dest: string,
  runtime: RuntimeJson,
  signal?: AbortSignal,
): Promise<void> {
  await writeAtomically(join(dest, 'runtime.json'), JSON.stringify(runtime, null, 2) + '\n');
  await rm(join(dest, 'process-types'), { recursive: true, force: true });
  await makeDir(join(dest, 'process-types'));
  for (const type of sidecarProcessTypes(runtime)) {
    signal?.throwIfAborted();
    await writeAtomically(
      join(dest, 'process-types', `${type}.tsv`),
      formatProcessTypeRows(processTypeRows(runtime, type)),
    );
  }
  // NUL-ended: a command may hold any other byte, newlines included; bash reads it with read -d ''.
  await writeAtomically(
    join(dest, 'other-sidecars.cmd'),
    runtime.otherSidecars.map((s) => `${s.name}\0${s.command}\0`).join(''),
  );
}

/**
 * The dirs installRuntime makes when they are missing, deepest first: supply's clean-up after a
 * failure removes those it made, when empty (never one the app brought).
 */
export function runtimeDirs(target: Omit<InstallRuntimeTarget, 'scriptsDir' | 'signal'>): string[] {
  return [
    join(target.depsDir, target.depsIdx, 'profile.d'),
    join(target.buildDir, '.profile.d'),
    join(target.buildDir, APP_TOOLS_DIR, 'bin'),
    join(target.buildDir, APP_TOOLS_DIR),
  ];
}

/** Everything installRuntime writes, for supply's clean-up after a failure. */
export function runtimePaths(target: Omit<InstallRuntimeTarget, 'scriptsDir' | 'signal'>): string[] {
  return [
    join(target.depsDir, target.depsIdx, RUNTIME_DIR_NAME),
    join(target.depsDir, target.depsIdx, 'profile.d', PROFILE_SCRIPT_NAME),
    join(target.buildDir, '.profile.d', PROFILE_SCRIPT_NAME),
    join(target.buildDir, APP_TOOLS_DIR, 'bin', 'sidecars'),
  ];
}
