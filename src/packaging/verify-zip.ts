/**
 * `package.sh --verify ZIP`: proves a zip stages the way an operator's foundation would stage it.
 * It unpacks the zip, then runs its bin/supply exactly as the lifecycle does
 * (`bin/supply BUILD_DIR CACHE_DIR DEPS_DIR 0`) on a copy of an app, with a PATH without node,
 * and checks the launch.yml it wrote.
 *
 * Offline (the default for a cached zip) every proxy variable points at a trap that counts
 * connections, and when the machine allows it (`unshare -n`) staging also runs in an empty network
 * namespace, so no connection can leave at all. Staging must succeed and the trap must stay at 0.
 */
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { extractZip } from '../archive/zip.js';
import { DEFAULT_MAX_UNPACKED_BYTES, UnpackBudget } from '../archive/limits.js';
import { UserError } from '../errors.js';
import type { BuildpackManifest } from '../dependencies/manifest-types.js';
import type { LaunchYml } from '../launch/launch-types.js';
import type { Logger } from '../log/logger.js';
import { checkLaunchYml } from './check-launch.js';
import { openNetworkTrap, trappedProxyEnv } from './network-trap.js';
import { sampleApp } from './sample-app.js';
import { makeStackPath } from './stack-path.js';

export interface VerifyRequest {
  zip: string;
  /** The app to stage (a directory with sidecars.yml); default: sampleApp() of the zip's manifest. */
  app?: string;
  /** CF_STACK for staging; default: the zip's `stack:`, else cflinuxfs4. */
  stack?: string;
  /** undefined: offline iff the zip carries dependencies (`file:` keys). */
  offline?: boolean;
  /** The packager's own PATH, from which the stack PATH is made. */
  hostPath: string;
  /** Env passed to an online staging (proxies the operator needs). */
  hostProxyEnv: Record<string, string>;
  /** Try an empty network namespace for offline staging (default true). */
  isolateNetwork?: boolean;
  /** Staging is killed after this long. */
  timeoutMs?: number;
}

export type Isolation =
  'network namespace + proxy trap' | 'proxy trap' | 'allowed (an online zip downloads its dependencies)';

export interface VerifyResult {
  offline: boolean;
  isolation: Isolation;
  stack: string;
  /** Connections the trap received while staging (offline only). */
  connectionAttempts: number;
  launch: LaunchYml;
  stagingLog: string;
  stagingMs: number;
}

export async function verifyZip(request: VerifyRequest, log: Logger): Promise<VerifyResult> {
  await mustExist(request.zip, 'file', 'Give the path of a zip that scripts/package.sh wrote.');
  if (request.app !== undefined)
    await mustExist(
      request.app,
      'directory',
      "Give an app directory with a sidecars.yml, or leave --app out for a sample app of the zip's own dependencies.",
    );
  const work = await mkdtemp(join(tmpdir(), 'sidecar-verify-'));
  try {
    const buildpack = join(work, 'buildpack');
    await mkdir(buildpack);
    await extractZip(
      request.zip,
      basename(request.zip),
      buildpack,
      new UnpackBudget(basename(request.zip), DEFAULT_MAX_UNPACKED_BYTES),
    );
    const manifest = parse(
      await readFile(join(buildpack, 'manifest.yml'), 'utf8').catch(() => notABuildpack(request.zip)),
    ) as BuildpackManifest;
    const offline = request.offline ?? manifest.dependencies.some((d) => d.file !== undefined);
    const stack = request.stack ?? manifest.stack ?? 'cflinuxfs4';
    const sample = request.app === undefined ? sampleApp(manifest) : undefined;
    log.header(
      `Verifying ${basename(request.zip)}: staging ${request.app === undefined ? 'a sample app' : basename(request.app)} on ${stack}, ${offline ? 'network refused' : 'network allowed'}, no node on PATH`,
    );
    if (sample) log.detail(`The sample app names the zip's sidecars: ${sample.sidecars.join(', ')}`);

    const dirs = {
      build: join(work, 'app'),
      cache: join(work, 'cache'),
      deps: join(work, 'deps'),
      home: join(work, 'home'),
      tmp: join(work, 'tmp'),
    };
    if (request.app !== undefined) await cp(request.app, dirs.build, { recursive: true });
    else {
      await mkdir(dirs.build);
      for (const [path, content] of Object.entries(sample?.files ?? {}))
        await writeFile(join(dirs.build, path), content, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
    }
    for (const d of [dirs.cache, join(dirs.deps, '0'), dirs.home, dirs.tmp])
      await mkdir(d, { recursive: true });
    const stackPath = await makeStackPath(join(work, 'stack-bin'), request.hostPath);

    const trap = offline ? await openNetworkTrap() : undefined;
    try {
      const isolate = offline && request.isolateNetwork !== false && (await canUnshareNetwork());
      const isolation: Isolation = !offline
        ? 'allowed (an online zip downloads its dependencies)'
        : isolate
          ? 'network namespace + proxy trap'
          : 'proxy trap';
      log.detail(`Network: ${isolation}`);
      const env = {
        PATH: stackPath,
        HOME: dirs.home,
        TMPDIR: dirs.tmp,
        LANG: 'C.UTF-8',
        CF_STACK: stack,
        MEMORY_LIMIT: '1024m',
        VCAP_APPLICATION: JSON.stringify({ application_name: 'verify', limits: { mem: 1024, disk: 4096 } }),
        VCAP_SERVICES: '{}',
        ...(trap ? trappedProxyEnv(trap.url) : request.hostProxyEnv),
      };
      const supply = join(buildpack, 'bin', 'supply');
      const args = [dirs.build, dirs.cache, dirs.deps, '0'];
      const started = Date.now();
      const result = await execa(
        isolate ? 'unshare' : supply,
        isolate ? ['-n', '--', supply, ...args] : args,
        {
          env,
          extendEnv: false,
          reject: false,
          all: true,
          timeout: request.timeoutMs ?? 300_000,
        },
      );
      const stagingMs = Date.now() - started;
      const stagingLog = result.all ?? '';
      log.detail('Staging log:');
      log.table(stagingLog.trimEnd().split('\n'));
      const attempts = trap?.attempts ?? 0;
      if (result.exitCode !== 0 || attempts > 0) {
        throw new UserError(
          `staging with ${basename(request.zip)} failed (${result.timedOut ? 'timed out' : `exit ${result.exitCode ?? result.signal}`})` +
            (attempts > 0
              ? `; it tried to reach the network ${attempts} time(s) although the zip should stage offline`
              : ''),
          { hint: 'see the staging log above' },
        );
      }
      const launchText = await readFile(join(dirs.deps, '0', 'launch.yml'), 'utf8').catch(() => {
        throw new UserError(`staging with ${basename(request.zip)} wrote no launch.yml`, {
          hint: 'see the staging log above',
        });
      });
      const { launch, problems } = checkLaunchYml(launchText, dirs.deps);
      if (!launch || problems.length) {
        log.table(['launch.yml:', ...launchText.trimEnd().split('\n')]);
        throw new UserError(`the launch.yml staging wrote would be rejected: ${problems.join('; ')}`);
      }
      for (const p of launch.processes) {
        const sidecarFor = p.platforms?.cloudfoundry?.sidecar_for;
        log.detail(
          `${p.type}: ${sidecarFor ? `sidecar for ${sidecarFor.join(', ')}` : 'process'}${p.limits?.memory ? `, ${p.limits.memory} MB` : ''}`,
        );
      }
      return { offline, isolation, stack, connectionAttempts: attempts, launch, stagingLog, stagingMs };
    } finally {
      await trap?.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Whether this machine lets us create an empty network namespace (root, or user namespaces). */
async function canUnshareNetwork(): Promise<boolean> {
  const result = await execa('unshare', ['-n', 'true'], { reject: false }).catch(() => undefined);
  return result?.exitCode === 0;
}

function notABuildpack(zip: string): never {
  throw new UserError(`${zip} has no manifest.yml at its root: not a buildpack zip`);
}

/** A missing zip or app is the caller's typo: one ERROR line, not an ENOENT from deep inside. */
async function mustExist(path: string, kind: 'file' | 'directory', hint: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UserError(`no such ${kind}`, { file: path, hint });
  if (kind === 'file' ? !info.isFile() : !info.isDirectory())
    throw new UserError(`is not a ${kind}`, { file: path, hint });
}
