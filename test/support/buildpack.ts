/**
 * A copy of this buildpack in a temp dir, as the lifecycle would see it, with its manifest.yml
 * rewritten for tests: the `node` runtime and sidecar dependencies point at a local server.
 * The real bin/ shims and the built dist/ bundle are used as they are.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { BuildpackManifest, ManifestDependency } from '../../src/dependencies/manifest-types.js';
import { makeArchive, sha256File, type ArchiveFormat } from './archives.js';
import { afterAll, beforeAll } from 'vitest';
import { startServer, type TestServer } from './http-server.js';
import { makeNodeRuntimeTarball } from './node-runtime.js';
import { tempDir } from './tmp.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const FIXTURES = join(REPO_ROOT, 'fixtures');

export interface TestBuildpackOptions {
  /** Replaces the manifest's dependencies (node included unless `node` is set). */
  dependencies?: ManifestDependency[];
  /** Serve a stand-in node runtime from this server and list it for cflinuxfs4. */
  node?: { server: TestServer; version?: string };
  /** Extra top-level manifest fields (default_versions, sidecar_defaults, ...). */
  manifest?: Partial<BuildpackManifest>;
}

export async function makeTestBuildpack(options: TestBuildpackOptions = {}): Promise<string> {
  const dir = await tempDir('buildpack-');
  for (const entry of ['bin', 'dist', 'VERSION'])
    await cp(join(REPO_ROOT, entry), join(dir, entry), { recursive: true });
  const manifest = parse(await readFile(join(REPO_ROOT, 'manifest.yml'), 'utf8')) as BuildpackManifest;
  const dependencies = options.dependencies ?? manifest.dependencies.filter((d) => d.name !== 'node');
  if (options.node) dependencies.unshift(await serveNodeRuntime(options.node.server, options.node.version));
  await writeFile(join(dir, 'manifest.yml'), stringify({ ...manifest, dependencies, ...options.manifest }));
  return dir;
}

/** makeTestBuildpack copies what staging needs; a zip also carries the docs include_files names. */
export async function withDocs(dir: string): Promise<string> {
  for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md']) await cp(join(REPO_ROOT, f), join(dir, f));
  return dir;
}

/** Builds the stand-in node tarball, serves it, and returns its manifest entry. */
export async function serveNodeRuntime(server: TestServer, version = '22.23.1'): Promise<ManifestDependency> {
  const tarball = await makeNodeRuntimeTarball(version);
  const path = `/node/node_${version}_linux_x64_cflinuxfs4.tgz`;
  server.file(path, tarball.path);
  return {
    name: 'node',
    version,
    uri: `${server.url}${path}`,
    sha256: tarball.sha256,
    cf_stacks: ['cflinuxfs4'],
  };
}

/** Packs fixtures/sidecars/<name> into an archive, serves it, and returns a manifest entry. */
export async function serveFixtureSidecar(
  server: TestServer,
  name = 'config-server',
  { version = '1.0.0', format = 'tgz' as ArchiveFormat } = {},
): Promise<ManifestDependency & { path: string }> {
  const dir = await tempDir('sidecar-archive-');
  const file = `${name}-${version}.${format}`;
  const path = join(dir, file);
  const executable = await readFile(join(FIXTURES, 'sidecars', name, name));
  await makeArchive(path, { [name]: { content: executable, mode: 0o755 } }, format);
  server.file(`/sidecars/${file}`, path);
  return {
    name,
    version,
    uri: `${server.url}/sidecars/${file}`,
    sha256: await sha256File(path),
    cf_stacks: ['cflinuxfs4'],
    path,
  };
}

/**
 * The sidecar buildpack under test as the tutorial needs it: its node runtime and the
 * config-server dependency served by `server`.
 */
export async function tutorialBuildpack(server: TestServer): Promise<string> {
  return makeTestBuildpack({ node: { server }, dependencies: [await serveFixtureSidecar(server)] });
}

/**
 * For a test file: a local server and the tutorial buildpack served by it, made before the
 * file's tests and closed after them. Read `.server` and `.buildpack` inside the tests.
 */
export function tutorialBuildpackForFile(): { server: TestServer; buildpack: string } {
  const made = {} as { server: TestServer; buildpack: string };
  beforeAll(async () => {
    made.server = await startServer();
    made.buildpack = await tutorialBuildpack(made.server);
  });
  afterAll(() => made.server?.close());
  return made;
}
