/**
 * The buildpack and apps the bench stages with: a copy of this repository's bin/, dist/ and
 * VERSION (the real shims and bundle), with a manifest.yml listing a node runtime and the bench's
 * sidecar, either packaged (`file:`, as in the cached zip) or to be downloaded.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, cp, link, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ManifestDependency } from '../src/dependencies/manifest-types.js';
import { runtimePath } from '../src/packaging/package-plan.js';
import { sha256OfFile } from './artifacts.js';
import type { Workspace } from './workspace.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..');
/**
 * Where the staged bin/, dist/ and VERSION come from: this checkout, or $BENCH_BUILDPACK (e.g. an
 * older commit unpacked with `git archive`) to compare two versions on the same machine.
 */
const SUBJECT_ROOT = process.env.BENCH_BUILDPACK ? resolve(process.env.BENCH_BUILDPACK) : REPO_ROOT;
export const SIDECAR_DEPENDENCY = 'bench-sidecar';
export const NODE_VERSION = '22.23.1';

export interface NodeRuntime {
  /** The .tgz the shims bootstrap from (bin/node at its root). */
  tarball: string;
  sha256: string;
  /** The node binary it runs. */
  node: string;
}

/**
 * A node runtime tarball in the layout of the Cloud Foundry builds. `copy: false` makes bin/node
 * a symlink to `node` (tiny, for runs where the runtime is already unpacked); `copy: true` packs
 * the binary itself, so a first staging pays the real download and unpack.
 */
export async function makeNodeRuntime(ws: Workspace, node: string, copy: boolean): Promise<NodeRuntime> {
  const dir = await ws.dir('node-runtime');
  await mkdir(join(dir, 'tree', 'bin'), { recursive: true });
  const target = join(dir, 'tree', 'bin', 'node');
  if (copy) await cp(node, target);
  else await symlink(node, target);
  const tarball = join(dir, `node_${NODE_VERSION}_linux_x64_cflinuxfs4.tgz`);
  const tar = spawnSync('tar', ['-czf', tarball, '-C', join(dir, 'tree'), '.']);
  if (tar.status !== 0) throw new Error(`failed to pack the node runtime: ${String(tar.stderr)}`);
  return { tarball, sha256: await sha256OfFile(tarball), node };
}

export interface BenchBuildpackOptions {
  nodeUri: string;
  nodeSha256: string;
  /** The runtime tarball packaged in the buildpack, as in a buildpack-packager zip. */
  nodePackagedFile?: string;
  /** A node binary carried unpacked, as scripts/package.sh lays out its zips (run in place). */
  nodeInPlace?: string;
  /** The bench sidecar's manifest entry; without it, a placeholder no staging fetches. */
  sidecar?: { uri: string; sha256: string; packagedFile?: string };
}

/** For buildpacks whose apps never fetch the manifest's sidecar (detect, empty lists, uris). */
const PLACEHOLDER_SIDECAR: NonNullable<BenchBuildpackOptions['sidecar']> = {
  uri: 'http://127.0.0.1:9/unused.tgz',
  sha256: '0'.repeat(64),
};

/** A buildpack dir; with `packagedFile`, the sidecar sits at dependencies/<md5 of uri>/<basename>. */
export async function makeBuildpack(ws: Workspace, options: BenchBuildpackOptions): Promise<string> {
  const dir = await ws.dir('buildpack');
  for (const entry of ['bin', 'dist', 'VERSION'])
    await cp(join(SUBJECT_ROOT, entry), join(dir, entry), { recursive: true });
  const { uri, sha256, packagedFile } = options.sidecar ?? PLACEHOLDER_SIDECAR;
  const sidecar: ManifestDependency = {
    name: SIDECAR_DEPENDENCY,
    version: '1.0.0',
    uri,
    sha256,
    cf_stacks: ['cflinuxfs4'],
  };
  if (packagedFile) sidecar.file = await packageFile(dir, uri, packagedFile);
  const node: ManifestDependency = {
    name: 'node',
    version: NODE_VERSION,
    uri: options.nodeUri,
    sha256: options.nodeSha256,
    cf_stacks: ['cflinuxfs4'],
  };
  if (options.nodePackagedFile) node.file = await packageFile(dir, node.uri, options.nodePackagedFile);
  if (options.nodeInPlace) {
    node.file = runtimePath(node);
    await mkdir(join(dir, node.file, '..'), { recursive: true });
    await copyFile(options.nodeInPlace, join(dir, node.file));
    await chmod(join(dir, node.file), 0o755);
  }
  const manifest = {
    language: 'sidecar',
    dependencies: [node, sidecar],
    include_files: await includeFiles(),
  };
  await writeFile(join(dir, 'manifest.yml'), stringify(manifest));
  return dir;
}

/** The repository manifest's include_files, so that packaging the bench buildpack ships the same. */
async function includeFiles(): Promise<string[]> {
  const text = await readFile(join(REPO_ROOT, 'manifest.yml'), 'utf8');
  return ((parse(text) as { include_files?: string[] }).include_files ?? []).filter((f) =>
    ['bin/', 'dist/', 'manifest.yml', 'VERSION'].some((p) => f.startsWith(p)),
  );
}

/**
 * `sidecar`: sidecars.yml names the bench sidecar. `empty`: sidecars.yml lists none, so the phases
 * run the bundle and find nothing to do. `none`: no sidecars.yml at all, which the shims answer
 * without starting node.
 */
/**
 * `no-start`: a sidecars.yml but no Procfile, as a Java or Node app pushed with one has.
 * `command`: no Procfile, the start command in sidecars.yml, which detect must parse.
 */
export type AppKind = 'sidecar' | 'empty' | 'none' | 'no-start' | 'command';

export async function makeApp(ws: Workspace, kind: AppKind): Promise<string> {
  const dir = await ws.dir(`app-${kind}`);
  if (kind !== 'no-start' && kind !== 'command') await writeFile(join(dir, 'Procfile'), 'web: ./server\n');
  const sidecars =
    kind === 'sidecar' || kind === 'no-start' || kind === 'command'
      ? [{ name: 'bench', dependency: SIDECAR_DEPENDENCY, command: './bench-sidecar', memory: '64M' }]
      : [];
  const config = kind === 'command' ? { command: './server', sidecars } : { sidecars };
  if (kind !== 'none') await writeFile(join(dir, 'sidecars.yml'), stringify(config));
  return dir;
}

/** Links `source` in at dependencies/<md5 of uri>/<basename>, as the packager lays it out. */
async function packageFile(dir: string, uri: string, source: string): Promise<string> {
  const file = join('dependencies', md5(uri), basename(new URL(uri).pathname));
  await mkdir(join(dir, file, '..'), { recursive: true });
  await link(source, join(dir, file));
  return file;
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/**
 * bench/peer: the bash supply buildpack an app developer would write instead of this one
 * (sha256sum -c, tar xzf, launch.yml by printf), with `archive` packaged in it.
 */
export async function makePeerBuildpack(
  ws: Workspace,
  archive: { path: string; sha256: string },
  executable: string,
): Promise<string> {
  const peer = await ws.dir('peer-buildpack');
  await cp(join(REPO_ROOT, 'bench', 'peer', 'bin'), join(peer, 'bin'), { recursive: true });
  await mkdir(join(peer, 'dependencies'));
  await link(archive.path, join(peer, 'dependencies', 'bench-sidecar.tgz'));
  await writeFile(
    join(peer, 'sidecar.env'),
    `NAME=bench\nFILE=dependencies/bench-sidecar.tgz\nSHA256=${archive.sha256}\nCOMMAND=./${executable}\nMEMORY=64\n`,
  );
  return peer;
}
