/**
 * `cf-local stage`: the buildpack lifecycle's builder (cf-contract section 1), run on this
 * machine. Detection when no buildpack is named; otherwise supply for all but the last (each with
 * its own cache, kept between stagings), supply + finalize or compile for the last, launch.yml
 * merge with the lifecycle's own index rules (zero-padded deps dirs, launch.yml read unpadded,
 * the final one at `len(order) - 1`), release when that launch.yml is absent, Procfile override,
 * result.json and a droplet directory laid out as in the container. Then Cloud Controller's
 * sidecar checks. test/cf-local/conformance.test.ts holds it to the real builder's outputs.
 *
 * Staging happens in a temporary "container" that is deleted afterwards and the droplet is
 * copied out, so a buildpack that bakes a staging path (DEPS_DIR, BUILD_DIR) into a command
 * breaks at run time here exactly as it does on Cloud Foundry.
 */
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { LaunchProcess } from '../../../src/launch/launch-types.js';
import { namedBuildpacks, STAGED_LAYOUT, writeStaged } from '../app-record.js';
import { appIdentity } from '../run/vcap-application.js';
import { hasScript, keyDigest, prepareBuildpack, scriptPath, type Buildpack } from './buildpack-dir.js';
import { mergeProcesses, processTypesToLaunch, splitProcesses } from './launch-merge.js';
import {
  COMPILE_FAIL,
  DETECT_FAIL,
  exitDescription,
  FINALIZE_FAIL,
  MISSING_FINALIZE_WARNING,
  NO_START_COMMAND,
  NO_SUPPLY_SCRIPT,
  RELEASE_FAIL,
  sidecarRejection,
  StagingFailure,
  SUPPLY_FAIL,
} from './lifecycle-errors.js';
import {
  LifecycleYamlError,
  parseDepsConfig,
  parseLaunchYml,
  parseProcfile,
  parseReleaseOutput,
} from './lifecycle-yaml.js';
import { runScript, type ScriptRun } from './run-script.js';
import { checkSidecars } from './sidecar-checks.js';
import { stagingEnv } from './staging-env.js';
import { pathFor } from '../stack-path.js';
import { keepNewest, touch } from '../keep-newest.js';
import {
  stagingResult,
  type BuildpackMetadata,
  type StagingInfo,
  type StagingResult,
} from './staging-result.js';

export interface StageOptions {
  appDir: string;
  /** `-b` arguments in order (dirs or zips). Empty: detect among `systemBuildpacks`. */
  buildpacks: readonly string[];
  /** The operator's buildpacks in position order, used only for detection. */
  systemBuildpacks?: readonly string[];
  env?: Readonly<Record<string, string>>;
  stack?: string;
  appName?: string;
  /** The app's build artifacts cache; default: one per app dir under the system temp dir. */
  cacheDir?: string;
  /** Where the droplet and result go; default: a new temp dir. */
  outDir?: string;
  /** Memory of the staging task, seen as MEMORY_LIMIT by buildpacks. Default 1024. */
  stagingMemoryMb?: number;
  /** Memory of the app's processes, for Cloud Controller's sidecar memory check. Default 1024. */
  processMemoryMb?: number;
  /** Names of sidecars declared in the app manifest (Cloud Controller's name conflict check). */
  userSidecarNames?: readonly string[];
  vcapServices?: string;
  /** Keep the host's node on PATH (the stack has none; default: hidden). */
  hostNode?: boolean;
  /** Each staging log line as it is printed. */
  onLog?: (line: string) => void;
}

export type StageOutcome =
  | { ok: true; stagedDir: string; result: StagingResult; log: string[]; durationMs: number }
  | { ok: false; failure: StagingFailure; log: string[]; durationMs: number };

/** Paths of one staging container. */
interface Container {
  root: string;
  buildDir: string;
  contentsDir: string;
  depsDir: string;
  profileDir: string;
  env: Record<string, string>;
}

export async function stage(options: StageOptions): Promise<StageOutcome> {
  const started = Date.now();
  const log: string[] = [];
  const print = (line: string): void => {
    log.push(line);
    options.onLog?.(line);
  };
  const root = await mkdtemp(join(tmpdir(), 'cf-local-staging-'));
  try {
    const { stagedDir, result } = await stageIn(root, options, print);
    return { ok: true, stagedDir, result, log, durationMs: Date.now() - started };
  } catch (error) {
    if (!(error instanceof StagingFailure)) throw error;
    print(error.message);
    return { ok: false, failure: error, log, durationMs: Date.now() - started };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Build caches of apps staged without --cache-dir, kept between stagings as a cell's blobstore keeps them. */
export const KEEP_APP_CACHES = 16;

export function appCachesDir(): string {
  return join(tmpdir(), 'cf-local-cache');
}

async function stageIn(
  root: string,
  options: StageOptions,
  print: (line: string) => void,
): Promise<{ stagedDir: string; result: StagingResult }> {
  const appDir = resolve(options.appDir);
  const appName = options.appName ?? basename(appDir);
  const stack = options.stack ?? 'cflinuxfs4';
  const appEnv = { ...(options.env ?? {}) };
  const vcapServices = options.vcapServices ?? '{}';
  const skipDetect = options.buildpacks.length > 0;
  const keys = skipDetect ? options.buildpacks : (options.systemBuildpacks ?? []);
  if (keys.length === 0) throw new StagingFailure([DETECT_FAIL], 222);

  const container = await makeContainer(root, appDir, {
    app: appIdentity(appName),
    appEnv,
    stack,
    stagingMemoryMb: options.stagingMemoryMb ?? 1024,
    stagingDiskMb: 4096,
    vcapServices,
    hostPath: await pathFor(options.hostNode ?? false),
  });
  const buildpacks: Buildpack[] = [];
  for (const key of keys) buildpacks.push(await prepareBuildpack(key, root));

  // The default cache dir is one per app dir, of which the KEEP_APP_CACHES used last are kept.
  const cacheRoot = resolve(options.cacheDir ?? join(appCachesDir(), keyDigest(appDir)));
  if (options.cacheDir === undefined) {
    await mkdir(cacheRoot, { recursive: true });
    await touch(cacheRoot);
    await keepNewest(appCachesDir(), KEEP_APP_CACHES);
  }
  const supply = skipDetect ? buildpacks.slice(0, -1) : [];
  await prepareCaches(cacheRoot, supply);

  // The lifecycle's index rules (cf-contract section 7): deps dirs are zero-padded to the width
  // of the buildpack count, and all are made before the first supply; but launch.yml is read
  // from the unpadded `deps/<i>`, and the final buildpack's from `deps/<len(order) - 1>`, where
  // the order under detection is every system buildpack while the detected one ran at index 0.
  const depsIndex = (i: number): string => String(i).padStart(String(supply.length + 1).length, '0');
  for (let i = 0; i <= supply.length; i++)
    await mkdir(join(container.depsDir, depsIndex(i)), { recursive: true });
  let final = buildpacks[buildpacks.length - 1] as Buildpack;
  let detectOutput = '';
  if (!skipDetect) [final, detectOutput] = await detect(container, buildpacks, print);
  const metadataOf = () =>
    buildpacksMetadata(container, skipDetect ? buildpacks : [final], depsIndex, detectOutput);
  let processes: LaunchProcess[] = [];
  // As the lifecycle: a failed supply buildpack ends staging with no result.json at all
  // (fixtures/conformance, supply-fails-*); only a failed build (the final buildpack on) writes one.
  if (skipDetect) await runSupplyBuildpacks(container, supply, cacheRoot, depsIndex, print);
  try {
    await runFinal(container, final, depsIndex(supply.length), join(cacheRoot, 'final'), print);
    for (let index = 0; index < supply.length; index++) {
      processes = mergeProcesses(processes, (await readLaunchYml(container, String(index))) ?? []);
    }
    processes = await mergeFinal(container, final, String(keys.length - 1), processes, print);
  } catch (error) {
    // A failed build still writes result.json, with the buildpacks only.
    if (error instanceof StagingFailure && options.outDir)
      await writeFailedResult(resolve(options.outDir), await metadataOf());
    throw error;
  }

  const split = splitProcesses(processes);
  if (!split.processTypes.web) NO_START_COMMAND.forEach(print);
  const result = stagingResult(split, await metadataOf());

  const rejections = checkSidecars({
    sidecars: result.sidecars,
    processMemoryMb: processMemoryOfSidecarTargets(result, options.processMemoryMb ?? 1024),
    userSidecarNames: options.userSidecarNames ?? [],
  });
  if (rejections.length > 0) throw sidecarRejection(rejections);

  const stagedDir = resolve(options.outDir ?? (await mkdtemp(join(tmpdir(), `cf-local-${appName}-`))));
  await writeDroplet(container, result, join(stagedDir, STAGED_LAYOUT.droplet));
  await writeStaged(stagedDir, result, { name: appName, stack, env: appEnv, vcapServices });
  return { stagedDir, result };
}

/** result.json of a failed build: the buildpacks' metadata, no process types (null, as Go writes a nil map). */
async function writeFailedResult(outDir: string, buildpacks: BuildpackMetadata[]): Promise<void> {
  const { lifecycle_metadata } = stagingResult({ processTypes: {}, processes: [], sidecars: [] }, buildpacks);
  const json = {
    lifecycle_metadata: {
      ...lifecycle_metadata,
      buildpacks: namedBuildpacks(buildpacks),
    },
    process_types: null,
    execution_metadata: '',
    lifecycle_type: 'buildpack',
  };
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, STAGED_LAYOUT.result), JSON.stringify(json) + '\n');
}

/**
 * Lays the droplet out as it is unpacked into /home/vcap: app/ (the build dir), deps/,
 * profile.d/, staging_info.yml, tmp/, logs/. A droplet already at `dropletDir` is replaced.
 */
async function writeDroplet(container: Container, result: StagingResult, dropletDir: string): Promise<void> {
  const last = result.lifecycle_metadata.buildpacks.at(-1);
  const info: StagingInfo = {
    detected_buildpack: result.lifecycle_metadata.detected_buildpack,
    start_command: result.process_types.web ?? '',
    ...(last?.config ? { config: last.config } : {}),
  };
  await writeFile(join(container.contentsDir, 'staging_info.yml'), JSON.stringify(info) + '\n');
  for (const dir of ['tmp', 'logs']) await mkdir(join(container.contentsDir, dir), { recursive: true });
  const copy = { recursive: true, verbatimSymlinks: true } as const;
  await cp(container.buildDir, join(container.contentsDir, 'app'), copy);
  await rm(dropletDir, { recursive: true, force: true });
  await mkdir(dirname(dropletDir), { recursive: true });
  await cp(container.contentsDir, dropletDir, copy);
  // The lifecycle's droplet root is a MkdirTemp dir: 0700.
  await chmod(dropletDir, 0o700);
}

async function makeContainer(
  root: string,
  appDir: string,
  envInput: Omit<Parameters<typeof stagingEnv>[0], 'home' | 'tmpDir'>,
): Promise<Container> {
  const buildDir = join(root, 'app');
  const contentsDir = join(root, 'contents');
  const home = join(root, 'home');
  const tmpDir = join(home, 'tmp');
  await cp(appDir, buildDir, { recursive: true, verbatimSymlinks: true });
  await mkdir(join(contentsDir, 'deps'), { recursive: true });
  await mkdir(join(contentsDir, 'profile.d'), { recursive: true });
  await mkdir(tmpDir, { recursive: true });
  return {
    root,
    buildDir,
    contentsDir,
    depsDir: join(contentsDir, 'deps'),
    profileDir: join(contentsDir, 'profile.d'),
    env: stagingEnv({ ...envInput, home, tmpDir }),
  };
}

/** Creates the caches in use and deletes those of buildpacks no longer in the list. */
async function prepareCaches(cacheRoot: string, supply: readonly Buildpack[]): Promise<void> {
  const needed = new Set(['final', ...supply.map((bp) => keyDigest(bp.key))]);
  await mkdir(cacheRoot, { recursive: true });
  for (const name of await readdir(cacheRoot)) {
    if (!needed.has(name)) await rm(join(cacheRoot, name), { recursive: true, force: true });
  }
  for (const name of needed) await mkdir(join(cacheRoot, name), { recursive: true });
}

function failed(run: ScriptRun): boolean {
  return run.code !== 0;
}

async function runSupplyBuildpacks(
  container: Container,
  supply: readonly Buildpack[],
  cacheRoot: string,
  depsIndex: (i: number) => string,
  print: (line: string) => void,
): Promise<void> {
  for (const bp of supply) {
    if (!(await hasScript(bp, 'supply'))) throw new StagingFailure([NO_SUPPLY_SCRIPT]);
  }
  for (const [index, bp] of supply.entries()) {
    const args = [
      container.buildDir,
      join(cacheRoot, keyDigest(bp.key)),
      container.depsDir,
      depsIndex(index),
    ];
    const run = await runScript(scriptPath(bp, 'supply'), args, scriptOptions(container, print));
    if (failed(run)) throw new StagingFailure([SUPPLY_FAIL, exitDescription(run.code, run.signal)]);
  }
}

async function detect(
  container: Container,
  candidates: readonly Buildpack[],
  print: (line: string) => void,
): Promise<[Buildpack, string]> {
  for (const bp of candidates) {
    if (!(await hasScript(bp, 'detect'))) continue;
    const run = await runScript(scriptPath(bp, 'detect'), [container.buildDir], {
      ...scriptOptions(container, print),
      captureStdout: true,
    });
    if (!failed(run)) return [bp, run.stdout.replace(/[\r\n]+$/, '')];
  }
  throw new StagingFailure([DETECT_FAIL]);
}

/** The last buildpack: supply + finalize when it has bin/finalize, else compile. */
async function runFinal(
  container: Container,
  bp: Buildpack,
  idx: string,
  cacheDir: string,
  print: (line: string) => void,
): Promise<void> {
  const options = scriptOptions(container, print);
  if (await hasScript(bp, 'finalize')) {
    if (await hasScript(bp, 'supply')) {
      const run = await runScript(
        scriptPath(bp, 'supply'),
        [container.buildDir, cacheDir, container.depsDir, idx],
        options,
      );
      if (failed(run))
        throw new StagingFailure([COMPILE_FAIL, SUPPLY_FAIL, exitDescription(run.code, run.signal)]);
    }
    const args = [container.buildDir, cacheDir, container.depsDir, idx, container.profileDir];
    const run = await runScript(scriptPath(bp, 'finalize'), args, options);
    if (failed(run))
      throw new StagingFailure([COMPILE_FAIL, FINALIZE_FAIL, exitDescription(run.code, run.signal)]);
    return;
  }
  if (Number(idx) > 0) print(MISSING_FINALIZE_WARNING);
  await rm(join(container.depsDir, idx), { recursive: true, force: true });
  const run = await runScript(scriptPath(bp, 'compile'), [container.buildDir, cacheDir], options);
  if (failed(run)) throw new StagingFailure([COMPILE_FAIL, exitDescription(run.code, run.signal)]);
}

/** The final buildpack's launch.yml if it wrote one, else its release output; then the Procfile. */
async function mergeFinal(
  container: Container,
  bp: Buildpack,
  index: string,
  processes: LaunchProcess[],
  print: (line: string) => void,
): Promise<LaunchProcess[]> {
  let merged = processes;
  const finalLaunch = await readLaunchYml(container, index);
  if (finalLaunch) {
    merged = mergeProcesses(merged, finalLaunch);
  } else {
    const run = await runScript(scriptPath(bp, 'release'), [container.buildDir], {
      ...scriptOptions(container, print),
      captureStdout: true,
    });
    if (failed(run)) throw new StagingFailure([RELEASE_FAIL, exitDescription(run.code, run.signal)]);
    try {
      merged = mergeProcesses(merged, processTypesToLaunch(parseReleaseOutput(run.stdout)));
    } catch (error) {
      throw new StagingFailure([RELEASE_FAIL, "buildpack's release output invalid", messageOf(error)]);
    }
  }
  const procfile = await fileText(join(container.buildDir, 'Procfile'));
  if (procfile === undefined) return merged;
  try {
    return mergeProcesses(merged, processTypesToLaunch(parseProcfile(procfile)));
  } catch {
    throw new StagingFailure(['Failed to read command from Procfile', 'invalid YAML'], 1, 'StagingError');
  }
}

/** DEPS_DIR/INDEX/launch.yml's processes; undefined when the buildpack wrote none. */
async function readLaunchYml(container: Container, index: string): Promise<LaunchProcess[] | undefined> {
  const text = await fileText(join(container.depsDir, index, 'launch.yml'));
  if (text === undefined) return undefined;
  try {
    return parseLaunchYml(text).processes;
  } catch (error) {
    if (error instanceof LifecycleYamlError) throw new StagingFailure([error.message], 1, 'StagingError');
    throw error;
  }
}

async function buildpacksMetadata(
  container: Container,
  buildpacks: readonly Buildpack[],
  depsIndex: (i: number) => string,
  detectOutput: string,
): Promise<BuildpackMetadata[]> {
  const out: BuildpackMetadata[] = [];
  for (const [index, bp] of buildpacks.entries()) {
    const text = await fileText(join(container.depsDir, depsIndex(index), 'config.yml'));
    out.push({ key: bp.key, ...(text ? parseDepsConfig(text) : {}) });
  }
  const only = out[0];
  if (detectOutput && only && !only.name) only.name = detectOutput;
  return out;
}

/** The process types a sidecar attaches to, each at the app's process memory. */
function processMemoryOfSidecarTargets(result: StagingResult, memoryMb: number): Record<string, number> {
  const targets = new Set(result.sidecars.flatMap((s) => s.process_types));
  return Object.fromEntries([...targets].filter((t) => t in result.process_types).map((t) => [t, memoryMb]));
}

function scriptOptions(container: Container, print: (line: string) => void) {
  return { env: container.env, cwd: container.buildDir, log: print };
}

async function fileText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
