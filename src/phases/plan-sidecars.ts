/**
 * Decides, for each configured sidecar, what to fetch and how it runs: resolves manifest
 * dependencies, applies their `sidecar_defaults`, and checks that every sidecar ends up with a
 * command, process types and memory. Pure: no I/O.
 */
import type { AppSidecarConfig, SidecarConfig } from '../config/config-types.js';
import { parseSizeMb } from '../config/size.js';
import { UserError, UserErrors } from '../errors.js';
import { artifactFileName, type ArtifactSpec } from '../dependencies/cache.js';
import type { AppFileNeed, BuildpackManifest } from '../dependencies/manifest-types.js';
import { resolveDependency } from '../dependencies/resolve.js';
import { MAX_COMMAND_LENGTH } from '../config/cc-rules.js';
import { sidecarCommand, type SidecarLaunch } from '../launch/launch-config.js';

export interface SidecarPlan extends SidecarLaunch {
  /** The manifest dependency's version, or `-` for a uri or app-files sidecar. */
  version: string;
  /** What to fetch; undefined for a sidecar in the app's files. */
  artifact?: ArtifactSpec;
  /** File name for a bare-binary artifact. */
  binaryName: string;
  /** Files of the app its dependency's default command reads (manifest `app_files`). */
  appFiles?: AppFileNeed[];
}

export interface Plan {
  sidecars: SidecarPlan[];
  warnings: string[];
}

export function planSidecars(
  config: AppSidecarConfig,
  manifest: BuildpackManifest,
  stack: string,
  now: Date,
  depsIdx: string,
): Plan {
  const warnings: string[] = [];
  const problems: UserError[] = [];
  const sidecars: SidecarPlan[] = [];
  // Every sidecar is planned even after a mistake in one: all mistakes are reported together.
  config.sidecars.forEach((sidecar, index) => {
    try {
      const plan = planOne(sidecar, index, manifest, stack, now, depsIdx);
      warnings.push(...plan.warnings);
      sidecars.push(plan.sidecar);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      problems.push(error);
    }
  });
  if (problems.length > 0) throw UserErrors.of(problems);
  return { sidecars, warnings };
}

function planOne(
  sidecar: SidecarConfig,
  index: number,
  manifest: BuildpackManifest,
  stack: string,
  now: Date,
  depsIdx: string,
) {
  const key = (field: string) => `sidecars[${index}].${field}`;
  const fail = (field: string, message: string, hint?: string): never => {
    throw new UserError(message, {
      file: sidecar.origin.file,
      ...(sidecar.origin.line ? { line: sidecar.origin.line } : {}),
      key: key(field),
      ...(hint ? { hint } : {}),
    });
  };

  let version = '-';
  let artifact: ArtifactSpec | undefined;
  let defaults: {
    command?: string;
    memoryMb?: number;
    processTypes?: string[];
    env?: Record<string, string>;
    appFiles?: AppFileNeed[];
  } = {};
  const warnings: string[] = [];
  if (sidecar.source.kind === 'dependency') {
    const { dependency: name, version: pattern } = sidecar.source;
    let resolved;
    try {
      resolved = resolveDependency(manifest, name, pattern, stack, now);
    } catch (error) {
      if (error instanceof UserError)
        fail(pattern ? 'version' : 'dependency', error.message, error.details.hint);
      throw error;
    }
    const dep = resolved.dependency;
    version = dep.version;
    warnings.push(...resolved.warnings);
    artifact = {
      uri: dep.uri,
      sha256: dep.sha256,
      label: `${name} ${dep.version}`,
      ...(dep.file ? { file: dep.file } : {}),
    };
    const d = manifest.sidecar_defaults?.[name];
    if (d) {
      const memoryMb = d.memory === undefined ? undefined : parseSizeMb(d.memory);
      defaults = {
        command: d.command,
        ...(memoryMb ? { memoryMb } : {}),
        ...(d.process_types ? { processTypes: d.process_types } : {}),
        ...(d.env ? { env: d.env } : {}),
        ...(d.app_files ? { appFiles: d.app_files } : {}),
      };
    }
  } else if (sidecar.source.kind === 'uri') {
    artifact = { uri: sidecar.source.uri, sha256: sidecar.source.sha256, label: `sidecar "${sidecar.name}"` };
  }

  const command = sidecar.command ?? defaults.command;
  if (!command)
    fail(
      'command',
      'is missing, and the dependency has no default command',
      'Add `command:` with the executable to run, e.g. ./agent --config "$HOME/agent.yml".',
    );
  const memoryMb = sidecar.memoryMb ?? defaults.memoryMb;
  if (!memoryMb) {
    fail(
      'memory',
      'is missing: every sidecar must reserve its memory',
      'Add e.g. `memory: 256M`. Without it Cloud Controller does not subtract the sidecar from MEMORY_LIMIT, the Java buildpack sizes the JVM to the whole container, and the container is OOM-killed (exit 137) once both run.',
    );
  }

  const env = { ...(defaults.env ?? {}), ...sidecar.env };
  // What the default command reads: a command of the app's own reads what it says.
  const appFiles =
    sidecar.command === undefined
      ? (defaults.appFiles ?? []).filter((need) => !(need.unless_env && Object.hasOwn(env, need.unless_env)))
      : [];
  const planned: SidecarPlan = {
    name: sidecar.name,
    command: command as string,
    processTypes: sidecar.processTypes ?? defaults.processTypes ?? ['web'],
    memoryMb: memoryMb as number,
    env,
    ...(sidecar.runtime ? { runtime: sidecar.runtime } : {}),
    ...(sidecar.cfMetadata ? { cfMetadata: true } : {}),
    ...(sidecar.output === 'errors' ? { stdoutDiscarded: true } : {}),
    version,
    ...(artifact ? { artifact } : { fromApp: true }),
    binaryName: artifact ? artifactFileName(artifact.uri) : '',
    ...(appFiles.length > 0 ? { appFiles } : {}),
  };
  // Cloud Controller limits the command it is given, which is the user's command with the
  // install dir, the env exports and the supervisor in front: check that one, before anything
  // is downloaded.
  const launchLength = sidecarCommand(depsIdx, planned).length;
  if (launchLength > MAX_COMMAND_LENGTH) {
    fail(
      'command',
      `with the install dir, env and supervisor in front, the launch command is ${launchLength} characters; Cloud Controller allows at most ${MAX_COMMAND_LENGTH}`,
      'Shorten the command or the env values, or move long settings into a file the sidecar reads.',
    );
  }
  return { warnings, sidecar: planned };
}
