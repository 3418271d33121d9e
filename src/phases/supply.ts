/**
 * bin/supply: reads the app's sidecar config, fetches and verifies each sidecar, unpacks it under
 * DEPS_DIR/INDEX/sidecars/<name>, and writes launch.yml and config.yml.
 *
 * All-or-nothing: launch.yml and config.yml are written last, and on any failure the sidecars
 * unpacked by this run are removed, so a failed staging leaves DEPS_DIR/INDEX as it found it.
 */
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { loadAppConfig } from '../config/load.js';
import { formatMb, parseSizeMb } from '../config/size.js';
import { formatBytes } from '../log/format-bytes.js';
import { urlSecrets } from '../log/redact.js';
import { UnpackBudget } from '../archive/limits.js';
import { extractArtifact, removeStaleUnpacking } from '../archive/extract.js';
import {
  obtainArtifact,
  pruneCache,
  type Artifact,
  type ArtifactSource,
  type ArtifactSpec,
} from '../dependencies/cache.js';
import { prepareAppCommand } from '../fs/app-command.js';
import { loadManifest } from '../dependencies/manifest.js';
import { buildLaunchYml, sidecarDir } from '../launch/launch-config.js';
import { launchYmlCopyNote, writeDepsConfigYml, writeLaunchYml } from '../launch/launch-yml.js';
import type { StagingContext } from './context.js';
import { otherBuildpacksSidecars } from './other-sidecars.js';
import { planSidecars, type SidecarPlan } from './plan-sidecars.js';
import { summaryTable } from './summary.js';
import {
  assertAppProfileDir,
  installRuntime,
  runtimePaths,
  shippedScriptsDir,
} from '../runtime/install-runtime.js';
import { buildRuntimeJson, memoryAdvice, runtimeFeatureLines } from '../runtime/runtime-config.js';
import type { RuntimeJson } from '../runtime/runtime-types.js';

export interface InstalledSidecar {
  plan: SidecarPlan;
  /** Where its files came from; `app` for a sidecar in the app's own files. */
  source: ArtifactSource | 'app';
  downloadedBytes: number;
}

export interface SupplyResult {
  sidecars: InstalledSidecar[];
}

const SOURCE_LABEL: Record<ArtifactSource | 'app', string> = {
  offline: 'offline',
  cache: 'cache',
  download: 'download',
  app: 'app files',
};

export async function supply(ctx: StagingContext): Promise<SupplyResult> {
  const { log } = ctx;
  // The `-----> Sidecar Buildpack version V` line is the shim's, printed before Node.js starts.
  const config = await loadAppConfig(ctx.buildDir, ctx.env);
  if (!config || config.sidecars.length === 0) {
    log.detail(
      config
        ? `No sidecars in ${config.sources.join(' + ')}; nothing to install`
        : 'No sidecars.yml or $SIDECARS_YML; nothing to install',
    );
    return { sidecars: [] };
  }
  log.detail(`Reading ${config.sources.join(' + ')}: ${config.sidecars.length} sidecar(s)`);
  for (const note of config.layering ?? []) log.detail(note);
  for (const warning of config.layeringWarnings ?? []) log.warning(warning);
  // Credentials and tokens in the uris never reach the log, in whatever form a line shows them.
  for (const sidecar of config.sidecars)
    if (sidecar.source.kind === 'uri')
      for (const secret of urlSecrets(sidecar.source.uri)) log.addSecret(secret);

  await assertAppProfileDir(ctx.buildDir);
  const manifest = await loadManifest(ctx.buildpack.dir);
  const plan = planSidecars(config, manifest, ctx.stack, ctx.now, ctx.depsIdx);
  for (const warning of plan.warnings) log.warning(warning);

  const depsRoot = join(ctx.depsDir, ctx.depsIdx);
  const target = { buildDir: ctx.buildDir, depsDir: ctx.depsDir, depsIdx: ctx.depsIdx };
  const others = await otherBuildpacksSidecars(ctx);
  const runtime = buildRuntimeJson(plan.sidecars, others);
  const installed: InstalledSidecar[] = [];
  const used: string[] = [];
  await removeStaleUnpacking(join(depsRoot, 'sidecars'));
  try {
    for (const sidecar of plan.sidecars) {
      log.header(`Installing sidecar ${sidecar.name}${sidecar.version === '-' ? '' : ` ${sidecar.version}`}`);
      if (!sidecar.artifact) {
        await checkAppFilesSidecar(ctx, sidecar);
        installed.push({ plan: sidecar, source: 'app', downloadedBytes: 0 });
        continue;
      }
      const artifact = await fetchSidecar(ctx, sidecar, sidecar.artifact);
      ctx.signal?.throwIfAborted();
      if (artifact.source !== 'offline') used.push(artifact.path);
      const dest = join(ctx.depsDir, sidecarDir(ctx.depsIdx, sidecar.name));
      const kind = await extractArtifact({
        archivePath: artifact.path,
        name: artifact.source === 'offline' ? sidecar.artifact.label : sidecar.binaryName,
        binaryName: sidecar.binaryName,
        dest,
        budget: new UnpackBudget(sidecar.binaryName, ctx.maxUnpackedBytes),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      const missing = await makeExecutable(dest, sidecar.command);
      log.detail(`Unpacked ${kind} into $DEPS_DIR/${sidecarDir(ctx.depsIdx, sidecar.name)}`);
      if (missing)
        log.warning(
          `${sidecar.name}: its command starts with ${missing}, which the ${kind === 'binary' ? 'artifact (installed as one file, ' + sidecar.binaryName + ')' : 'archive'} does not hold: the sidecar will fail at launch unless something creates it first`,
        );
      installed.push({ plan: sidecar, source: artifact.source, downloadedBytes: artifact.downloadedBytes });
    }
    await mkdir(depsRoot, { recursive: true });
    await installRuntime({ scriptsDir: shippedScriptsDir(ctx.buildpack.dir), ...target }, runtime);
    await writeLaunchYml(ctx.depsDir, ctx.depsIdx, buildLaunchYml(ctx.depsIdx, plan.sidecars));
    await writeDepsConfigYml(ctx.depsDir, ctx.depsIdx, { name: 'sidecar', version: ctx.buildpack.version });
  } catch (error) {
    await rm(join(depsRoot, 'sidecars'), { recursive: true, force: true });
    for (const path of runtimePaths(target)) await rm(path, { recursive: true, force: true });
    throw error;
  }
  await pruneCache(ctx.cacheDir, used, log);
  const copyNote = launchYmlCopyNote(ctx.depsIdx);
  if (copyNote) log.detail(copyNote);

  log.header('Sidecars');
  log.table(
    summaryTable(
      installed.map((s) => ({
        sidecar: s.plan.name,
        version: s.plan.version,
        source: SOURCE_LABEL[s.source],
        processTypes: s.plan.processTypes,
        memoryMb: s.plan.memoryMb,
      })),
    ),
  );
  const total = installed.reduce((sum, s) => sum + s.plan.memoryMb, 0);
  log.detail(
    `Reserved ${formatMb(total)} for sidecars; Cloud Controller subtracts it from MEMORY_LIMIT of the processes they run beside`,
  );
  logRuntime(ctx, runtime);
  return { sidecars: installed };
}

/** The run-time features and the memory advice (src/runtime/); MEMORY_LIMIT here is the staging memory. */
function logRuntime(ctx: StagingContext, runtime: RuntimeJson): void {
  const { log } = ctx;
  log.header('Sidecar run time');
  log.detail('Memory guard and ready wait: .profile.d/sidecar_buildpack.sh (runs before every process)');
  for (const line of runtimeFeatureLines(runtime)) log.detail(line);
  const stagingMemory = ctx.env.MEMORY_LIMIT === undefined ? undefined : parseSizeMb(ctx.env.MEMORY_LIMIT);
  const advice = memoryAdvice(runtime, stagingMemory);
  for (const line of advice.details) log.detail(line);
  for (const warning of advice.warnings) log.warning(warning);
}

/**
 * A sidecar in the app's files: nothing to fetch; the executable its command starts must be in
 * the app, and is made executable. A missing one is a warning, not a failure, as a later
 * buildpack may still build it (a Go app's sidecar compiled by the Go buildpack).
 */
async function checkAppFilesSidecar(ctx: StagingContext, sidecar: SidecarPlan): Promise<void> {
  const check = await prepareAppCommand(ctx.buildDir, sidecar.command);
  const { log } = ctx;
  log.detail(
    `Runs from the app's files: ${sidecar.command.length > 80 ? sidecar.command.slice(0, 77) + '...' : sidecar.command}`,
  );
  if (check.status === 'ready') log.detail(`${check.file} is in the app and executable`);
  else if (check.status === 'missing')
    log.warning(
      `${sidecar.name}: its command starts with ${check.file}, which is not in the app: push it with the app (or let a later buildpack build it), or the sidecar fails at launch`,
    );
  else if (check.status === 'outside')
    log.warning(`${sidecar.name}: ${check.file} is a link that leads outside the app; it was left as it is`);
  else if (check.status === 'not-a-file')
    log.warning(`${sidecar.name}: ${check.file} is not a regular file, so it cannot be run`);
}

async function fetchSidecar(
  ctx: StagingContext,
  sidecar: SidecarPlan,
  spec: ArtifactSpec,
): Promise<Artifact> {
  const artifact = await obtainArtifact(spec, {
    buildpackDir: ctx.buildpack.dir,
    cacheDir: ctx.cacheDir,
    transport: ctx.transport,
    log: ctx.log,
  });
  const how = {
    offline: 'from the buildpack (offline)',
    cache: 'from the staging cache',
    download: `downloaded (${formatBytes(artifact.downloadedBytes)})`,
  }[artifact.source];
  ctx.log.detail(`${spec.label}: ${how}, sha256 verified`);
  ctx.log.debug(`${spec.label}: uri ${spec.uri}, sha256 ${spec.sha256}`);
  return artifact;
}

/**
 * chmod +x the command's executable when it is a path inside the install dir (`./agent`,
 * `bin/agent`). Returns that path when it names nothing there, for a warning: the sidecar would
 * fail at launch. (Every link in the dir resolves inside it: link-check.ts ran before this.)
 */
async function makeExecutable(dir: string, command: string): Promise<string | undefined> {
  const first = /^\s*(?:exec\s+)?([^\s;&|'"$`]+)/.exec(command)?.[1];
  if (!first || first.startsWith('/')) return undefined;
  const path = resolve(dir, first);
  if (!path.startsWith(dir + sep)) return undefined;
  const info = await stat(path).catch(() => undefined);
  if (info?.isFile()) await chmod(path, info.mode | 0o755);
  // A bare word (`otelcol`) may be a command on PATH; only a path (`./agent`) must be there.
  return info || !first.includes('/') ? undefined : first;
}
