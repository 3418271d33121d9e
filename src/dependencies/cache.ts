/**
 * Where an artifact comes from, in the order every CF buildpack uses (cf-contract section 5):
 * the buildpack's own packaged `file:` (offline zip), then the app's staging cache
 * (CACHE_DIR/dependencies/<sha256 of uri>/<basename>), then a download into that cache.
 * The sha256 is checked in every case; a cached copy that fails it is deleted and fetched again.
 */
import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from '../log/logger.js';
import { downloadProgress } from './download-progress.js';
import { download, type TransportOptions } from './download.js';
import { checksumMismatch, sha256OfFile } from './verify.js';

export type ArtifactSource = 'offline' | 'cache' | 'download';

export interface ArtifactSpec {
  uri: string;
  sha256: string;
  /** Names it in messages: `sidecar "otel"`. */
  label: string;
  /** Path of the packaged copy inside the buildpack (manifest `file:`), if any. */
  file?: string;
}

export interface Artifact {
  path: string;
  source: ArtifactSource;
  /** Bytes downloaded (0 unless source is 'download'). */
  downloadedBytes: number;
}

export interface ArtifactStore {
  buildpackDir: string;
  cacheDir: string;
  transport: TransportOptions;
  log: Logger;
}

/** CACHE_DIR/dependencies/<sha256 of uri>/<basename of uri> */
export function cachePathFor(cacheDir: string, uri: string): string {
  return join(
    cacheDir,
    'dependencies',
    createHash('sha256').update(uri).digest('hex'),
    artifactFileName(uri),
  );
}

/** The file name a URL's path ends with, safe to use on disk. */
export function artifactFileName(uri: string): string {
  let name = '';
  try {
    name = decodeURIComponent(basename(new URL(uri).pathname));
  } catch {
    name = '';
  }
  name = name.replace(/[^A-Za-z0-9._+-]/g, '_').replace(/^\.+/, '');
  return name || 'artifact';
}

export async function obtainArtifact(spec: ArtifactSpec, store: ArtifactStore): Promise<Artifact> {
  if (spec.file) {
    const offline = resolve(store.buildpackDir, spec.file);
    if (await exists(offline)) {
      store.log.detail(`Copy [${spec.file}]`);
      const actual = await sha256OfFile(offline);
      if (actual !== spec.sha256)
        throw checksumMismatch(`${spec.label} (packaged in the buildpack)`, spec.sha256, actual);
      return { path: offline, source: 'offline', downloadedBytes: 0 };
    }
    store.log.debug(`${spec.label}: packaged file ${spec.file} is missing; trying the cache`);
  }

  const cached = cachePathFor(store.cacheDir, spec.uri);
  if (await exists(cached)) {
    const actual = await sha256OfFile(cached);
    if (actual === spec.sha256) return { path: cached, source: 'cache', downloadedBytes: 0 };
    store.log.warning(`The cached copy of ${spec.label} is corrupt (sha256 ${actual}); downloading it again`);
  }
  // The entry dir is per uri and holds nothing else: start it empty, so a partial file left by a
  // staging that was killed (SIGKILL allows no cleanup) goes too.
  await rm(dirname(cached), { recursive: true, force: true });

  try {
    const request = { url: spec.uri, dest: cached, sha256: spec.sha256, label: spec.label };
    // libbuildpack's installer line; the logger redacts the uri's credentials.
    store.log.detail(`Download [${spec.uri}]`);
    const transport = {
      ...store.transport,
      onProgress:
        store.transport.onProgress ??
        downloadProgress(spec.label, (line) => store.log.detail(line), {
          intervalMs: store.transport.progressIntervalMs,
        }),
    };
    const { bytes } = await download(request, transport);
    return { path: cached, source: 'download', downloadedBytes: bytes };
  } catch (error) {
    // The entry dir is per uri, so nothing else lives there: a failed download leaves no trace.
    await rm(dirname(cached), { recursive: true, force: true });
    throw error;
  }
}

/** Removes every cache entry this staging did not use, so the app cache does not grow forever. */
export async function pruneCache(cacheDir: string, used: Iterable<string>, log: Logger): Promise<void> {
  const root = join(cacheDir, 'dependencies');
  const keep = new Set([...used].map((path) => basename(dirname(path))));
  const entries = await readdir(root).catch(() => [] as string[]);
  for (const entry of entries) {
    if (keep.has(entry)) continue;
    log.debug(`Removing unused cache entry dependencies/${entry}`);
    await rm(join(root, entry), { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}
