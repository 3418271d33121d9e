/**
 * bin/supply: reads the app's sidecar config, fetches and verifies each sidecar, unpacks it under
 * DEPS_DIR/INDEX/sidecars/<name>, and writes launch.yml and config.yml.
 *
 * All-or-nothing: launch.yml and config.yml are written last, and on any failure the sidecars
 * unpacked by this run are removed, so a failed staging leaves DEPS_DIR/INDEX as it found it.
 */
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDir } from '../fs/make-dir.js';
import { missing } from '../fs/missing.js';
import { loadAppConfig } from '../config/load.js';
import { stagedSidecars } from '../config/when-bound.js';
import { formatMb, parseSizeMb } from '../config/size.js';
import { urlSecrets } from '../log/redact.js';
import { removeStaleUnpacking } from '../archive/extract.js';
import { pruneCache, type ArtifactSource } from '../dependencies/cache.js';
import { loadManifest } from '../dependencies/manifest.js';
import { buildLaunchYml } from '../launch/launch-config.js';
import type { DeclaredSidecar } from '../launch/declared-sidecars.js';
import type { LaunchProcess } from '../launch/launch-types.js';
import {
  launchYmlCopyNote,
  launchYmlIndexes,
  launchYmlPath,
  writeDepsConfigYml,
  writeLaunchYml,
} from '../launch/launch-yml.js';
import type { StagingContext } from './context.js';
import { otherBuildpacksSidecars } from './other-sidecars.js';
import { installSidecars, type InstalledSidecar } from './install-sidecars.js';
import { planSidecars } from './plan-sidecars.js';
import { unknownProcessTypeWarnings } from './process-type-check.js';
import { readProcfile } from './procfile.js';
import { summaryTable } from './summary.js';
import {
  assertAppProfileDir,
  installRuntime,
  runtimeDirs,
  runtimePaths,
  shippedScriptsDir,
} from '../runtime/install-runtime.js';
import { buildRuntimeJson, memoryAdvice, runtimeFeatureLines } from '../runtime/runtime-config.js';
import type { RuntimeJson } from '../runtime/runtime-types.js';

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
  const loaded = await loadAppConfig(ctx.buildDir, ctx.env);
  if (!loaded || loaded.sidecars.length === 0) {
    log.detail(
      loaded
        ? `No sidecars in ${loaded.sources.join(' + ')}; nothing to install`
        : 'No sidecars.yml or $SIDECARS_YML; nothing to install',
    );
    return { sidecars: [] };
  }
  log.detail(`Reading ${loaded.sources.join(' + ')}: ${loaded.sidecars.length} sidecar(s)`);
  for (const note of loaded.layering ?? []) log.detail(note);
  for (const warning of loaded.layeringWarnings ?? []) log.warning(warning);
  const selected = stagedSidecars(loaded.sidecars, ctx.env.VCAP_SERVICES);
  if (selected.problem) log.warning(`${selected.problem}: no service counts as bound for when_bound`);
  for (const line of selected.lines) log.detail(line);
  if (selected.sidecars.length === 0) {
    log.detail('No sidecar is turned on; nothing to install');
    return { sidecars: [] };
  }
  const config = { ...loaded, sidecars: selected.sidecars };
  // Credentials and tokens in the uris never reach the log, in whatever form a line shows them.
  for (const sidecar of config.sidecars)
    if (sidecar.source.kind === 'uri')
      for (const secret of urlSecrets(sidecar.source.uri)) log.addSecret(secret);

  await assertAppProfileDir(ctx.buildDir);
  const manifest = await loadManifest(ctx.buildpack.dir);
  const plan = planSidecars(config, manifest, ctx.stack, ctx.now, ctx.depsIdx);
  for (const warning of plan.warnings) log.warning(warning);
  // A Procfile that cannot be read is finalize's (or the lifecycle's) to report.
  const procfile = await readProcfile(ctx.buildDir).catch(() => undefined);
  for (const warning of unknownProcessTypeWarnings(plan.sidecars, procfile && Object.keys(procfile)))
    log.warning(warning);

  const depsRoot = join(ctx.depsDir, ctx.depsIdx);
  const target = { buildDir: ctx.buildDir, depsDir: ctx.depsDir, depsIdx: ctx.depsIdx };
  const others = await otherBuildpacksSidecars(
    ctx,
    plan.sidecars.map((s) => s.name),
  );
  const runtime = buildRuntimeJson(plan.sidecars, others.sidecars);
  let installed: InstalledSidecar[] = [];
  await removeStaleUnpacking(join(depsRoot, 'sidecars'));
  const dirsToMake = await missing(runtimeDirs(target));
  try {
    installed = await installSidecars(ctx, plan.sidecars);
    await makeDir(depsRoot);
    await installRuntime(
      {
        scriptsDir: shippedScriptsDir(ctx.buildpack.dir),
        ...target,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      },
      runtime,
    );
    await writeLaunchYml(
      ctx.depsDir,
      ctx.depsIdx,
      buildLaunchYml(ctx.depsIdx, plan.sidecars, others.repaired.map(redeclared)),
    );
    await writeDepsConfigYml(ctx.depsDir, ctx.depsIdx, { name: 'sidecar', version: ctx.buildpack.version });
  } catch (error) {
    await rm(join(depsRoot, 'sidecars'), { recursive: true, force: true });
    const launchYmls = launchYmlIndexes(ctx.depsIdx).map((idx) => launchYmlPath(ctx.depsDir, idx));
    for (const path of [...runtimePaths(target), ...launchYmls, join(depsRoot, 'config.yml')])
      await rm(path, { recursive: true, force: true });
    // rmdir removes only an empty dir: one that something else wrote into stays.
    for (const dir of dirsToMake) await rmdir(dir).catch(() => undefined);
    throw error;
  }
  await pruneCache(
    ctx.cacheDir,
    installed.flatMap((s) => s.cachedPath ?? []),
    log,
  );
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

/** A sidecar of a launch.yml the lifecycle never reads, as this buildpack's launch.yml declares it again. */
function redeclared(s: DeclaredSidecar): LaunchProcess {
  return {
    type: s.name,
    command: s.command,
    platforms: { cloudfoundry: { sidecar_for: s.processTypes } },
    ...(s.memoryMb ? { limits: { memory: s.memoryMb } } : {}),
  };
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
