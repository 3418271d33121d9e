/**
 * Fetches, verifies and unpacks the planned sidecars, up to FETCH_CONCURRENCY at a time, so that
 * one sidecar's download overlaps another's and a sidecar unpacks while later ones still
 * download. The outcome is that of one after another (dependencies/in-parallel.ts): each
 * sidecar's log lines come together and in config order (log/ordered-output.ts), and the first
 * failure in config order is the one reported. Each sidecar's sha256 is checked before a byte of
 * it is unpacked, as before. Removing what was unpacked on failure is the caller's (supply.ts).
 */
import { chmod, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { UnpackBudget } from '../archive/limits.js';
import { extractArtifact } from '../archive/extract.js';
import {
  obtainArtifact,
  type Artifact,
  type ArtifactSource,
  type ArtifactSpec,
} from '../dependencies/cache.js';
import { inParallel } from '../dependencies/in-parallel.js';
import { prepareAppCommand } from '../fs/app-command.js';
import { missing } from '../fs/missing.js';
import { sidecarDir } from '../launch/launch-config.js';
import { formatBytes } from '../log/format-bytes.js';
import { OrderedOutput } from '../log/ordered-output.js';
import type { StagingContext } from './context.js';
import type { SidecarPlan } from './plan-sidecars.js';
import type { AppFileNeed } from '../dependencies/manifest-types.js';

/**
 * At most this many sidecars are fetched and unpacked at once: enough to hide one server's
 * latency behind another's transfer and to keep both cores busy, few enough that a small staging
 * container's memory and a rate-limited mirror are not swamped (bench item 8).
 */
export const FETCH_CONCURRENCY = 4;

export interface InstalledSidecar {
  plan: SidecarPlan;
  /** Where its files came from; `app` for a sidecar in the app's own files. */
  source: ArtifactSource | 'app';
  downloadedBytes: number;
  /** The staging-cache file it came from (kept by the cache pruning), if any. */
  cachedPath?: string;
}

export async function installSidecars(
  ctx: StagingContext,
  sidecars: readonly SidecarPlan[],
): Promise<InstalledSidecar[]> {
  const output = new OrderedOutput(ctx.log.destination, sidecars.length);
  // Two sidecars of one uri share one cache entry: the second waits for the first, then finds
  // it in the cache, as it would have one after another.
  const sameUri = new Map<string, Promise<unknown>>();
  try {
    return await inParallel(
      sidecars,
      { limit: FETCH_CONCURRENCY, ...(ctx.signal ? { signal: ctx.signal } : {}) },
      async (sidecar, index, signal) => {
        const log = ctx.log.to(output.sink(index));
        try {
          // Retry notes go to this sidecar's lines too, not straight to the log.
          const onRetry = ctx.transport.onRetry && ((message: string) => log.detail(message));
          const transport = { ...ctx.transport, signal, ...(onRetry ? { onRetry } : {}) };
          const task = { ...ctx, log, signal, transport };
          const uri = sidecar.artifact?.uri;
          if (uri === undefined) return await installOne(task, sidecar);
          const before = sameUri.get(uri) ?? Promise.resolve();
          const installing = before.catch(() => undefined).then(() => installOne(task, sidecar));
          sameUri.set(uri, installing);
          return await installing;
        } catch (error) {
          // The caller prints the error once, after the lines of the sidecars before this one;
          // those after it print nothing, as a loop would never have reached them.
          output.cutAfter(index);
          throw error;
        } finally {
          output.finish(index);
        }
      },
    );
  } finally {
    for (let index = 0; index < sidecars.length; index++) output.finish(index);
  }
}

async function installOne(ctx: StagingContext, sidecar: SidecarPlan): Promise<InstalledSidecar> {
  const { log } = ctx;
  log.header(`Installing sidecar ${sidecar.name}${sidecar.version === '-' ? '' : ` ${sidecar.version}`}`);
  if (!sidecar.artifact) {
    await checkAppFilesSidecar(ctx, sidecar);
    return { plan: sidecar, source: 'app', downloadedBytes: 0 };
  }
  const artifact = await fetchSidecar(ctx, sidecar.artifact);
  ctx.signal?.throwIfAborted();
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
  for (const need of await missingAppFiles(ctx.buildDir, sidecar.appFiles ?? []))
    log.warning(
      `${sidecar.name}: its command reads ${need.path} of the app, and the app has none: the sidecar exits at start. Push ${need.path} with the app${need.unless_env ? `, or set ${need.unless_env} in its env: to the file it should read` : ''}`,
    );
  return {
    plan: sidecar,
    source: artifact.source,
    downloadedBytes: artifact.downloadedBytes,
    ...(artifact.source === 'offline' ? {} : { cachedPath: artifact.path }),
  };
}

/** The files of the app a dependency's default command reads that the app does not have. */
async function missingAppFiles(buildDir: string, needs: AppFileNeed[]): Promise<AppFileNeed[]> {
  const absent = new Set(await missing(needs.map((need) => join(buildDir, need.path))));
  return needs.filter((need) => absent.has(join(buildDir, need.path)));
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

async function fetchSidecar(ctx: StagingContext, spec: ArtifactSpec): Promise<Artifact> {
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
