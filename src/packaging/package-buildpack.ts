/**
 * Packages the buildpack tree at `root` into one zip: the online flavour (manifest as is, staging
 * downloads what it needs) or the cached one (every dependency for the stack inside, so staging
 * needs no network). The steps are the pure plan (package-plan.ts), fetching into the download
 * cache, and the deterministic zip writer; this file only wires them and logs.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Document, parse } from 'yaml';
import { UserError } from '../errors.js';
import { RUNTIME_SCRIPTS } from '../runtime/install-runtime.js';
import { parseManifest } from '../dependencies/manifest.js';
import type { TransportOptions } from '../dependencies/download.js';
import type { BuildpackManifest } from '../dependencies/manifest-types.js';
import { sha256OfFile } from '../dependencies/verify.js';
import { displayUrl } from '../log/redact.js';
import type { Logger } from '../log/logger.js';
import {
  DEFAULT_INCLUDE_FILES,
  listBuildpackFiles,
  listIncludeFiles,
  type BuildpackFile,
} from './buildpack-files.js';
import { cachedDependency } from './download-cache.js';
import { isCompressed, writeDeterministicZip, type ZipEntry } from './deterministic-zip.js';
import { assertDistinctBasenames, sourceFor, type Mirror } from './mirror.js';
import { planPackage } from './package-plan.js';
import { runtimeBinary } from './runtime-binary.js';
import { zipName } from './zip-name.js';
import { formatBytes } from '../log/format-bytes.js';
import { downloadProgress } from '../dependencies/download-progress.js';

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
  /** Cached zips only: leave dependencies out (see package-plan.ts exclusions). */
  profile?: string;
  exclude?: string[];
  include?: string[];
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
  const { profile, exclude, include } = request;
  const plan = planPackage(manifest, { cached, stack, profile, exclude, include });
  const name = zipName({ language: manifest.language, cached, stack, version, profile, custom: plan.custom });
  log.header(`Packaging ${name} (${cached ? 'cached' : 'online'}, ${stack ?? 'any stack'})`);
  if (plan.excluded.length > 0) log.detail(`Leaving out: ${plan.excluded.join(', ')}`);

  if (request.mirror) assertDistinctBasenames(plan.downloads.map((d) => d.dependency));
  if (manifest.pre_package) await runPrePackage(root, manifest.pre_package, log);
  const files = manifest.include_files
    ? await listIncludeFiles(root, manifest.include_files)
    : await listBuildpackFiles(root, DEFAULT_INCLUDE_FILES);
  assertRuntimeScriptsIncluded(files);

  const entries: ZipEntry[] = files
    .filter((f) => f.path !== 'manifest.yml' && f.path !== 'VERSION')
    .map((f) => ({
      path: f.path,
      source: { file: f.absolute },
      executable: f.executable,
      compress: !isCompressed(f.path),
    }));
  entries.push(
    textEntry(
      'manifest.yml',
      plan.manifest ? manifestYaml(withEveryKey(parse(manifestText) as object, plan.manifest)) : manifestText,
    ),
  );
  entries.push(textEntry('VERSION', `${version}\n`));

  for (const { dependency, path, unpackRuntime } of plan.downloads) {
    const source = sourceFor(dependency, request.mirror);
    const where = source.kind === 'file' ? source.path : displayUrl(source.url);
    log.detail(
      `Fetching ${dependency.name} ${dependency.version} (${(dependency.cf_stacks ?? []).join(', ') || 'any stack'}) from ${where}`,
    );
    const started = Date.now();
    const transport = {
      ...request.transport,
      onProgress: downloadProgress(`${dependency.name} ${dependency.version}`, (l) => log.detail(l), {
        intervalMs: 2000,
      }),
    };
    const fetched = await cachedDependency(dependency, source, request.cacheDir, transport, {
      onReplaced: (p) => log.warning(`cached copy ${p} failed its sha256 check; fetching it again`),
    });
    log.detail(
      `  ${formatBytes(fetched.bytes)} from ${fetched.from}, sha256 verified (${((Date.now() - started) / 1000).toFixed(1)}s)`,
    );
    if (unpackRuntime) {
      // Unpacked, and deflated in the zip: the cell unpacks the zip once, and no staging then
      // unpacks (or caches) the runtime.
      const binary = await runtimeBinary(fetched.path, dependency.sha256, request.cacheDir);
      log.detail(`  unpacked to ${path} (run in place by the bin/ scripts)`);
      entries.push({ path, source: { file: binary }, executable: true, compress: true });
    } else {
      entries.push({
        path,
        source: { file: fetched.path },
        executable: false,
        compress: !isCompressed(path),
      });
    }
  }

  await mkdir(request.outputDir, { recursive: true });
  const dest = join(request.outputDir, name);
  await writeDeterministicZip(entries, dest);
  const { size } = await stat(dest);
  return { path: dest, bytes: size, sha256: await sha256OfFile(dest), dependencies: plan.downloads.length };
}

/**
 * The packaged manifest keeps every top-level key of the source one, as buildpack-packager does
 * (keys this buildpack does not know, such as a tool's own, included), in the source's order,
 * with the planned values; `stack:` goes right after `language:`. Pure.
 */
export function withEveryKey(source: object, planned: BuildpackManifest): Record<string, unknown> {
  const first: Record<string, unknown> = { language: planned.language };
  if (planned.stack !== undefined) first.stack = planned.stack;
  return Object.assign(first, source, planned);
}

/**
 * manifest.yml `pre_package`: an executable of the buildpack tree, run in it before the files are
 * listed (buildpack-packager runs it likewise, without a shell); a failure stops packaging.
 */
async function runPrePackage(root: string, command: string, log: Logger): Promise<void> {
  log.detail(`Running pre_package: ${command}`);
  const result = await execFileOutput(resolve(root, command), root);
  if (result.error) {
    throw new UserError(`pre_package "${command}" failed: ${result.error}`, {
      file: 'manifest.yml',
      key: 'pre_package',
      hint: result.output.trim().split('\n').slice(-5).join(' | ') || 'run it by hand in the buildpack tree',
    });
  }
  for (const line of result.output.trimEnd().split('\n').filter(Boolean)) log.detail(`  ${line}`);
}

function execFileOutput(file: string, cwd: string): Promise<{ output: string; error?: string }> {
  return new Promise((done) => {
    execFile(file, [], { cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (!error) return done({ output });
      const code = (error as NodeJS.ErrnoException).code;
      done({
        output,
        error: typeof code === 'string' ? code : `exit status ${String(code ?? error.message)}`,
      });
    });
  });
}

/**
 * supply copies these from the zip into every droplet; without one, staging fails ("failed to
 * install the run-time script"). A manifest that lists files one by one must list them all.
 */
function assertRuntimeScriptsIncluded(files: BuildpackFile[]): void {
  const paths = new Set(files.map((f) => f.path));
  const missing = RUNTIME_SCRIPTS.map((s) => `dist/runtime/${s}`).filter((p) => !paths.has(p));
  if (missing.length > 0)
    throw new UserError(
      `include_files lacks ${missing.join(', ')}, which staging copies into every droplet`,
      {
        file: 'manifest.yml',
        key: 'include_files',
        hint: 'add each of them to include_files',
      },
    );
}

/** The manifest written into a stack-specific or cached zip, with a note on where it came from. */
function manifestYaml(manifest: object): string {
  const doc = new Document(manifest);
  doc.commentBefore = ' Written by scripts/package.sh from the repository manifest.yml; edit that one.';
  return doc.toString({ lineWidth: 0 });
}

function textEntry(path: string, text: string): ZipEntry {
  return { path, source: { buffer: Buffer.from(text, 'utf8') }, executable: false, compress: true };
}
