/**
 * Starts processes the way Cloud Foundry's launcher does (cf-contract section 4): in the app dir,
 * source ../profile.d/* then .profile.d/* then .profile with $1 = the app dir and $2 = the
 * command, then `exec bash -c COMMAND`. The droplet is laid out as at /home/vcap: app/, deps/,
 * profile.d/ (what a libbuildpack final buildpack fills), tmp/, and a fake cgroup tree.
 */
import { copyFile, cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { installRuntime, PROFILE_SCRIPT_NAME } from '../../src/runtime/install-runtime.js';
import { shellQuote } from '../../src/launch/shell-quote.js';
import type { SidecarRuntimeOptions } from '../../src/config/runtime-options-types.js';
import { sidecarCommand } from '../../src/launch/launch-config.js';
import { buildRuntimeJson } from '../../src/runtime/runtime-config.js';
import type { RuntimeJson, RuntimeSidecar } from '../../src/runtime/runtime-types.js';
import { REPO_ROOT } from '../support/buildpack.js';
import { tempDir } from '../support/tmp.js';

/** The launcher's bash, as buildpackapplifecycle's launcher runs it (bash -c SCRIPT launcher APP_DIR COMMAND). */
export const LAUNCHER_SCRIPT = `
cd "$1"
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
  source ./.profile
fi
shift
exec bash -c "$@"
`;

/**
 * The lifecycle's shell (`cf ssh`, then /tmp/lifecycle/shell), as buildpackapplifecycle's
 * shell/shell.go runs it: the same profile.d scripts, no .profile, $0 the shell's own path.
 */
export const LIFECYCLE_SHELL_SCRIPT = `
cd "$1"
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
shift
exec bash -c "$@"
`;

export interface Droplet {
  home: string;
  appDir: string;
  depsDir: string;
  tmpDir: string;
  cgroupRoot: string;
}

export interface DropletOptions {
  /** Copy DEPS_DIR/0/profile.d into ../profile.d as a libbuildpack final buildpack does. */
  libbuildpackCopy?: boolean;
  depsIdx?: string;
}

/** A fresh /home/vcap-like dir with the droplet's paths named (none created yet). */
async function dropletPaths(): Promise<Droplet> {
  const home = await tempDir('home-vcap-');
  return {
    home,
    appDir: join(home, 'app'),
    depsDir: join(home, 'deps'),
    tmpDir: join(home, 'tmp'),
    cgroupRoot: join(home, 'cgroup'),
  };
}

/**
 * The droplet of a real staging, as unpacked in the container: BUILD_DIR becomes app/, DEPS_DIR
 * deps/, and the final buildpack's PROFILE_DIR (if any) profile.d/.
 */
export async function dropletFromStaging(staged: {
  buildDir: string;
  depsDir: string;
  profileDir?: string;
}): Promise<Droplet> {
  const droplet = await dropletPaths();
  await cp(staged.buildDir, droplet.appDir, { recursive: true });
  await cp(staged.depsDir, droplet.depsDir, { recursive: true });
  if (staged.profileDir) {
    await cp(staged.profileDir, join(droplet.home, 'profile.d'), { recursive: true }).catch(() => undefined);
  }
  await mkdir(droplet.tmpDir, { recursive: true });
  await mkdir(droplet.cgroupRoot, { recursive: true });
  return droplet;
}

export async function makeDroplet(runtime: RuntimeJson, options: DropletOptions = {}): Promise<Droplet> {
  const droplet = await dropletPaths();
  const { home } = droplet;
  const depsIdx = options.depsIdx ?? '0';
  for (const dir of [droplet.appDir, join(droplet.depsDir, depsIdx), droplet.tmpDir, droplet.cgroupRoot])
    await mkdir(dir, { recursive: true });
  for (const name of Object.keys(runtime.sidecars))
    await mkdir(join(droplet.depsDir, depsIdx, 'sidecars', name), { recursive: true });
  await installRuntime(
    {
      scriptsDir: join(REPO_ROOT, 'src', 'runtime'),
      buildDir: droplet.appDir,
      depsDir: droplet.depsDir,
      depsIdx,
    },
    runtime,
  );
  if (options.libbuildpackCopy) {
    await mkdir(join(home, 'profile.d'), { recursive: true });
    for (const script of await readdir(join(droplet.depsDir, depsIdx, 'profile.d')))
      await copyFile(
        join(droplet.depsDir, depsIdx, 'profile.d', script),
        join(home, 'profile.d', `000_${script}`),
      );
  }
  return droplet;
}

/** The container's memory limit as cgroup v2 (memory.max) or v1 (memory/memory.limit_in_bytes) shows it. */
export async function setCgroupLimit(droplet: Droplet, value: string, version: 1 | 2 = 2): Promise<void> {
  if (version === 2) await writeFile(join(droplet.cgroupRoot, 'memory.max'), `${value}\n`);
  else {
    await mkdir(join(droplet.cgroupRoot, 'memory'), { recursive: true });
    await writeFile(join(droplet.cgroupRoot, 'memory', 'memory.limit_in_bytes'), `${value}\n`);
  }
}

export const MiB = 1024 * 1024;

/** VCAP_APPLICATION as Cloud Controller builds it; `processType` undefined means a task. */
export function vcapApplication(processType: string | undefined, memMb: number): string {
  return JSON.stringify({
    application_name: 'my-app',
    limits: { mem: memMb, disk: 1024, fds: 16384 },
    ...(processType ? { process_type: processType, process_id: 'guid' } : {}),
  });
}

export interface LaunchOptions {
  memoryLimit?: string;
  /** undefined: a task (no process_type). */
  processType?: string | undefined;
  vcapServices?: string;
  env?: Record<string, string>;
  /** Replace the launcher script (e.g. to run it under set -u). */
  launcherScript?: string;
  /** $0 of the launcher script: /tmp/lifecycle/launcher, or /tmp/lifecycle/shell for cf ssh. */
  scriptName?: string;
  /** Print the CPU seconds used by the launch and all its children (bash `times`) on stderr. */
  measureCpu?: boolean;
  /** Start it as the leader of its own process group, so that a test can signal the whole group. */
  detached?: boolean;
}

/** Starts COMMAND through the launcher in the droplet; resolves when it exits (never rejects). */
export function launch(
  droplet: Droplet,
  command: string,
  options: LaunchOptions = {},
): ResultPromise<{ reject: false; all: true }> {
  const memoryLimit = options.memoryLimit ?? '1024m';
  const processType = 'processType' in options ? options.processType : 'web';
  const launcher = [
    '-c',
    options.launcherScript ?? LAUNCHER_SCRIPT,
    options.scriptName ?? 'launcher',
    droplet.appDir,
    command,
  ];
  const args = options.measureCpu
    ? ['-c', '"$@"; rc=$?; times >&2; exit $rc', 'measure', 'bash', ...launcher]
    : launcher;
  return execa('bash', args, {
    reject: false,
    all: true,
    detached: options.detached ?? false,
    extendEnv: false,
    cwd: droplet.appDir,
    env: {
      PATH: process.env.PATH,
      HOME: droplet.appDir,
      TMPDIR: droplet.tmpDir,
      DEPS_DIR: droplet.depsDir,
      PORT: '8080',
      MEMORY_LIMIT: memoryLimit,
      VCAP_APPLICATION: vcapApplication(processType, parseInt(memoryLimit, 10)),
      ...(options.vcapServices !== undefined ? { VCAP_SERVICES: options.vcapServices } : {}),
      SIDECAR_BP_CGROUP_ROOT: droplet.cgroupRoot,
      SIDECAR_BP_PROC_CGROUP: join(droplet.home, 'no-proc-cgroup'),
      ...options.env,
    },
  });
}

/** CPU seconds (user + system) of the children, from the `times` lines a measureCpu launch prints. */
export function childCpuSeconds(stderr: string): number {
  const lines = stderr.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const match = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(last.trim());
  if (!match) throw new Error(`no times output in: ${stderr}`);
  const [, um, us, sm, ss] = match.map(Number) as number[];
  return (um as number) * 60 + (us as number) + (sm as number) * 60 + (ss as number);
}

/** `LISTEN_PORT=.. K=v exec node test/runtime/serve.mjs`: a real server process (serve.mjs). */
export function serveCommand(env: Record<string, string | number>): string {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(String(v))}`);
  return `${assignments.join(' ')} exec ${shellQuote(process.execPath)} ${shellQuote(SERVE_SCRIPT)}`;
}

export const SERVE_SCRIPT = join(REPO_ROOT, 'test', 'runtime', 'serve.mjs');

/** Events recorded by serve.mjs: [{ at: epoch ms, event }]. */
export async function readEvents(file: string): Promise<{ at: number; event: string }[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [at, event] = line.split(' ');
      return { at: Number(at), event: event ?? '' };
    });
}

/** The memory guard's lines in a launch's output. */
export function guardLines(output: string): string[] {
  return output.split('\n').filter((l) => l.startsWith('[sidecar-buildpack] memory guard:'));
}

/** Polls until `check` is true (every 50 ms, up to timeoutMs). */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The launch command the staging core writes for a sidecar (cd into its dir, then the command). */
export function sidecarLaunchCommand(name: string, command: string, depsIdx = '0'): string {
  return `cd "$DEPS_DIR/${depsIdx}/sidecars/${name}" && ${command}`;
}

/**
 * A droplet with one sidecar of this buildpack for web and the launch command staging writes for
 * it (supervise.sh around `command`). `tweak` edits the sidecar's runtime.json entry first (a
 * test's shorter back-off or sampling interval).
 */
export async function supervisedSidecar(
  name: string,
  command: string,
  options: {
    runtime?: SidecarRuntimeOptions;
    memoryMb?: number;
    tweak?: (sidecar: RuntimeSidecar) => void;
  } = {},
): Promise<{ droplet: Droplet; command: string }> {
  const memoryMb = options.memoryMb ?? 64;
  const json = buildRuntimeJson([{ name, processTypes: ['web'], memoryMb, runtime: options.runtime }]);
  options.tweak?.(json.sidecars[name] as RuntimeSidecar);
  const droplet = await makeDroplet(json);
  return {
    droplet,
    command: sidecarCommand('0', {
      name,
      command,
      processTypes: ['web'],
      memoryMb,
      env: {},
      runtime: options.runtime,
    }),
  };
}

export { PROFILE_SCRIPT_NAME };
