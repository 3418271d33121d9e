/**
 * Packages the buildpack tree at `root` into one zip: the online flavour (manifest as is, staging
 * downloads what it needs) or the cached one (every dependency for the stack inside, so staging
 * needs no network). The steps are the pure plan (package-plan.ts), fetching into the download
 * cache, and the deterministic zip writer; this file only wires them and logs.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Document } from 'yaml';
import { parseManifest } from '../dependencies/manifest.js';
import type { TransportOptions } from '../dependencies/download.js';
import type { BuildpackManifest } from '../dependencies/manifest-types.js';
import { sha256OfFile } from '../dependencies/verify.js';
import { displayUrl } from '../log/redact.js';
import type { Logger } from '../log/logger.js';
import { DEFAULT_INCLUDE_FILES, listBuildpackFiles } from './buildpack-files.js';
import { cachedDependency } from './download-cache.js';
import { isCompressed, writeDeterministicZip, type ZipEntry } from './deterministic-zip.js';
import { assertDistinctBasenames, sourceFor, type Mirror } from './mirror.js';
import { planPackage } from './package-plan.js';
import { zipName } from './zip-name.js';
import { formatBytes } from '../log/format-bytes.js';
import { downloadProgress } from './download-progress.js';

export interface PackageRequest {
  /** The buildpack source tree (the repository root, with dist/ already bundled). */
  root: string;
  cached: boolean;
  /** undefined: any stack. */
  stack?: string;
  version: string;
  outputDir: string;
  mirror?: Mirror;
  /** The download cache, kept between runs. */
  cacheDir: string;
  transport: TransportOptions;
}

export interface PackageResult {
  path: string;
  bytes: number;
  sha256: string;
  /** Dependencies packaged inside the zip (0 for an online zip). */
  dependencies: number;
}

export async function packageBuildpack(request: PackageRequest, log: Logger): Promise<PackageResult> {
  const { root, cached, stack, version } = request;
  const manifestText = await readFile(join(root, 'manifest.yml'), 'utf8');
  const manifest = parseManifest(manifestText);
  const plan = planPackage(manifest, { cached, stack });
  const name = zipName({ language: manifest.language, cached, stack, version });
  log.header(`Packaging ${name} (${cached ? 'cached' : 'online'}, ${stack ?? 'any stack'})`);

  if (request.mirror) assertDistinctBasenames(plan.downloads.map((d) => d.dependency));
  const files = await listBuildpackFiles(root, manifest.include_files ?? DEFAULT_INCLUDE_FILES);

  const entries: ZipEntry[] = files
    .filter((f) => f.path !== 'manifest.yml' && f.path !== 'VERSION')
    .map((f) => ({
      path: f.path,
      source: { file: f.absolute },
      executable: f.executable,
      compress: !isCompressed(f.path),
    }));
  entries.push(textEntry('manifest.yml', plan.manifest ? manifestYaml(plan.manifest) : manifestText));
  entries.push(textEntry('VERSION', `${version}\n`));

  for (const { dependency, path } of plan.downloads) {
    const source = sourceFor(dependency, request.mirror);
    const where = source.kind === 'file' ? source.path : displayUrl(source.url);
    log.detail(
      `Fetching ${dependency.name} ${dependency.version} (${(dependency.cf_stacks ?? []).join(', ') || 'any stack'}) from ${where}`,
    );
    const started = Date.now();
    const transport = {
      ...request.transport,
      onProgress: downloadProgress(`${dependency.name} ${dependency.version}`, (l) => log.detail(l)),
    };
    const fetched = await cachedDependency(dependency, source, request.cacheDir, transport, {
      onReplaced: (p) => log.warning(`cached copy ${p} failed its sha256 check; fetching it again`),
    });
    log.detail(
      `  ${formatBytes(fetched.bytes)} from ${fetched.from}, sha256 verified (${((Date.now() - started) / 1000).toFixed(1)}s)`,
    );
    entries.push({ path, source: { file: fetched.path }, executable: false, compress: !isCompressed(path) });
  }

  await mkdir(request.outputDir, { recursive: true });
  const dest = join(request.outputDir, name);
  await writeDeterministicZip(entries, dest);
  const { size } = await stat(dest);
  return { path: dest, bytes: size, sha256: await sha256OfFile(dest), dependencies: plan.downloads.length };
}

/** The manifest written into a stack-specific or cached zip, with a note on where it came from. */
function manifestYaml(manifest: BuildpackManifest): string {
  const doc = new Document(manifest);
  doc.commentBefore = ' Written by scripts/package.sh from the repository manifest.yml; edit that one.';
  return doc.toString({ lineWidth: 0 });
}

function textEntry(path: string, text: string): ZipEntry {
  return { path, source: { buffer: Buffer.from(text, 'utf8') }, executable: false, compress: true };
}
