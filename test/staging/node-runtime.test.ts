/**
 * The shims bring their own node (bin/lib/node-runtime.sh): offline copy, staging cache,
 * download with sha256 check, node on PATH; and fail with a clear list of what was tried.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildpackManifest } from '../../src/dependencies/manifest-types.js';
import {
  makeTestBuildpack,
  serveFixtureSidecar,
  serveNodeRuntime,
  FIXTURES,
  REPO_ROOT,
  tutorialBuildpack,
} from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { makeNodeRuntimeTarball } from '../support/node-runtime.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';

const APP = join(FIXTURES, 'apps', 'config-server-app');
let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

async function editManifest(dir: string, edit: (m: BuildpackManifest) => void): Promise<void> {
  const path = join(dir, 'manifest.yml');
  const manifest = parse(await readFile(path, 'utf8')) as BuildpackManifest;
  edit(manifest);
  await writeFile(path, stringify(manifest));
}

/**
 * Staging dirs for an app whose sidecars.yml lists no sidecars: supply runs the bundle (so it
 * bootstraps node) and has nothing to install. Without any sidecar config the shim answers alone.
 */
async function stagingDirsNeedingNode() {
  const dirs = await stagingDirs();
  await writeFile(join(dirs.buildDir, 'sidecars.yml'), 'sidecars: []\n');
  return dirs;
}

/**
 * An app detect claims only after reading its sidecars.yml (a top-level command, no Procfile), so
 * detect bootstraps node; an app with a Procfile web process is answered by the shim alone.
 */
async function appDetectReads() {
  const dirs = await stagingDirs();
  await writeFile(join(dirs.buildDir, 'sidecars.yml'), 'command: ./run\nsidecars: []\n');
  return dirs;
}

describe('node runtime bootstrap', () => {
  it('uses the offline copy packaged at dependencies/<md5 of uri>/<basename> without any request', async () => {
    const tarball = await makeNodeRuntimeTarball();
    const uri = 'https://buildpacks.invalid/node/node_22.23.1_linux_x64_cflinuxfs4_test.tgz';
    const buildpack = await makeTestBuildpack({
      dependencies: [
        { name: 'node', version: '22.23.1', uri, sha256: tarball.sha256, cf_stacks: ['cflinuxfs4'] },
        await serveFixtureSidecar(server),
      ],
    });
    const offlineDir = join(buildpack, 'dependencies', createHash('md5').update(uri).digest('hex'));
    await mkdir(offlineDir, { recursive: true });
    await copyFile(tarball.path, join(offlineDir, basename(uri)));
    const before = server.hits('/node').length;

    const result = await runPhase(buildpack, 'supply', supplyArgs(await stagingDirs(APP)));
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain('Using Node.js 22.23.1 for staging (from the buildpack, offline)');
    expect(server.hits('/node').length - before).toBe(0);
  });

  it('refuses a downloaded runtime whose sha256 differs, before running it', async () => {
    const buildpack = await makeTestBuildpack({ node: { server }, dependencies: [] });
    await editManifest(buildpack, (m) => {
      const node = m.dependencies.find((d) => d.name === 'node');
      if (node) node.sha256 = 'c'.repeat(64);
    });
    const dirs = await stagingDirs(APP);
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /\*\*ERROR\*\* node 22\.23\.1 from http:\/\/127\.0\.0\.1:\d+\/node\/\S+: dependency sha256 mismatch: expected c{64} actual [0-9a-f]{64}/,
    );
    expect(result.stdout).not.toContain('Using Node.js');
  });

  it('falls back to a node >= 20 on PATH when the manifest runtime cannot be fetched', async () => {
    const buildpack = await tutorialBuildpack(server);
    await editManifest(buildpack, (m) => {
      const node = m.dependencies.find((d) => d.name === 'node');
      if (node) node.uri = `${server.url}/nowhere/node.tgz`;
    });
    const result = await runPhase(buildpack, 'supply', supplyArgs(await stagingDirs(APP)), { noNode: false });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(/Using Node\.js v\d+\.\d+\.\d+ for staging \(from PATH\)/);
    // Why the manifest's runtime was not used, without BP_DEBUG.
    expect(result.stdout).toMatch(
      /\*\*WARNING\*\* Node\.js 22\.23\.1 of manifest\.yml could not be used \(download from http:\/\/127\.0\.0\.1:\d+\/nowhere\/node\.tgz: .*404.*\); staging with the node on PATH/,
    );
  });

  it('lists every source it tried when there is no node at all', async () => {
    const buildpack = await makeTestBuildpack({ node: { server }, dependencies: [] });
    await editManifest(buildpack, (m) => {
      const node = m.dependencies.find((d) => d.name === 'node');
      if (node) node.uri = `${server.url}/nowhere/node.tgz`;
    });
    const result = await runPhase(buildpack, 'supply', supplyArgs(await stagingDirs(APP)));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '       **ERROR** sidecar_buildpack found no Node.js runtime to stage with. Tried:',
    );
    expect(result.stdout).toContain('- offline file: not packaged');
    expect(result.stdout).toMatch(/- download from http:\/\/127\.0\.0\.1:\d+\/nowhere\/node\.tgz: .*404/);
    expect(result.stdout).toContain('- node on PATH: none');
  });

  it('picks the highest node version listed for the stack, comparing versions as numbers', async () => {
    const buildpack = await makeTestBuildpack({ node: { server, version: '22.9.0' }, dependencies: [] });
    const newer = await serveNodeRuntime(server, '22.10.0');
    const otherStack = { ...(await serveNodeRuntime(server, '24.0.0')), cf_stacks: ['cflinuxfs5'] };
    await editManifest(buildpack, (m) => m.dependencies.push(newer, otherStack));
    const result = await runPhase(buildpack, 'detect', [(await appDetectReads()).buildDir]);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stderr).toContain('Using Node.js 22.10.0 for staging (downloaded, sha256 verified)');
  });

  it('leaves an app without sidecar config alone without bootstrapping node', async () => {
    const buildpack = await makeTestBuildpack({ node: { server }, dependencies: [] });
    await editManifest(buildpack, (m) => {
      const node = m.dependencies.find((d) => d.name === 'node');
      if (node) node.uri = `${server.url}/never-fetched/node.tgz`;
    });
    const dirs = await stagingDirs();
    const detect = await runPhase(buildpack, 'detect', [dirs.buildDir], { env: { BP_DEBUG: '1' } });
    expect([detect.exitCode, detect.stdout]).toEqual([1, '']);
    expect(detect.stderr).toContain('no sidecars.yml or $SIDECARS_YML');
    const supply = await runPhase(buildpack, 'supply', supplyArgs(dirs));
    expect(supply.exitCode, supply.all).toBe(0);
    expect(supply.stdout).toMatch(
      /^-----> Sidecar Buildpack version \S+\n {7}No sidecars\.yml or \$SIDECARS_YML; nothing to install$/,
    );
    expect(server.hits('/never-fetched')).toEqual([]);
  });

  it('removes runtime downloads and unpackings left by killed stagings, but not ones in progress', async () => {
    const buildpack = await makeTestBuildpack({ node: { server }, dependencies: [] });
    const dirs = await stagingDirsNeedingNode();
    const root = join(dirs.cacheDir, 'sidecar_buildpack', 'node');
    await mkdir(join(root, '22.23.1-abc.unpacking.old'), { recursive: true });
    await mkdir(join(root, '22.23.1-abc.unpacking.new'), { recursive: true });
    await writeFile(join(root, 'download.old'), 'partial');
    await writeFile(join(root, 'download.new'), 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    for (const old of ['22.23.1-abc.unpacking.old', 'download.old'])
      await utimes(join(root, old), twoHoursAgo, twoHoursAgo);

    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
    const left = await readdir(root);
    expect(left.filter((name) => /^22\.23\.1-[0-9a-f]{12}$/.test(name))).toHaveLength(1);
    expect(left.filter((name) => !/^22\.23\.1-[0-9a-f]{12}$/.test(name)).sort()).toEqual([
      '22.23.1-abc.unpacking.new',
      'download.new',
    ]);
  });

  it('removes the partial runtime download and exits 143 when SIGTERM arrives mid-download', async () => {
    const buildpack = await makeTestBuildpack({ node: { server }, dependencies: [] });
    await editManifest(buildpack, (m) => {
      const node = m.dependencies.find((d) => d.name === 'node');
      if (node) node.uri = `${server.url}/stalling/node.tgz`;
    });
    const cancel = new AbortController();
    server.route('/stalling/node.tgz', (_req, res) => {
      res.writeHead(200, { 'content-length': 1_000_000 });
      res.write(Buffer.alloc(1000), () => cancel.abort());
    });
    const dirs = await stagingDirsNeedingNode();
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs), { cancelSignal: cancel.signal });
    expect(result.exitCode).toBe(143);
    expect(result.stdout).toContain(
      '       **ERROR** staging was interrupted by SIGTERM; its partial downloads were removed',
    );
    expect(await readdir(join(dirs.cacheDir, 'sidecar_buildpack', 'node'))).toEqual([]);
  });

  it('lets detect, which has no CACHE_DIR, bootstrap into TMPDIR and keep stdout for the name', async () => {
    const buildpack = await makeTestBuildpack({ node: { server }, dependencies: [] });
    const dirs = await appDetectReads();
    const result = await runPhase(buildpack, 'detect', [dirs.buildDir]);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toBe('sidecar');
    expect(result.stderr).toContain('Using Node.js 22.23.1 for staging');
  });
});

describe('the code cache of the bundle', () => {
  it('is kept per phase next to the runtime, and one that V8 rejects is rewritten', async () => {
    const buildpack = await makeTestBuildpack({ node: { server }, dependencies: [] });
    const dirs = await stagingDirsNeedingNode();
    expect((await runPhase(buildpack, 'supply', supplyArgs(dirs))).exitCode).toBe(0);
    const [runtime] = await readdir(join(dirs.cacheDir, 'sidecar_buildpack', 'node'));
    const cacheDir = join(dirs.cacheDir, 'sidecar_buildpack', 'node', runtime as string, '.code-cache');
    const [cache, ...others] = await readdir(cacheDir);
    expect(others).toEqual([]);
    expect(cache).toMatch(/^bundle-[0-9a-f]{16}-v\d+\.\d+\.\d+-supply\.v8$/);
    const written = await readFile(join(cacheDir, cache as string));
    expect(written.length).toBeGreaterThan(100_000);

    // Garbage where the cache was, and a cache of an older bundle beside it.
    await writeFile(join(cacheDir, cache as string), 'not a code cache');
    await writeFile(join(cacheDir, 'bundle-0000000000000000-v22.0.0-supply.v8'), 'old');
    const again = await runPhase(buildpack, 'supply', supplyArgs(dirs));
    expect(again.exitCode, again.all).toBe(0);
    expect(await readdir(cacheDir)).toEqual([cache]);
    expect((await readFile(join(cacheDir, cache as string))).length).toBeGreaterThan(100_000);
  });
});

describe('the staging log in libbuildpack format', () => {
  /** Serves `bytes` at `path`: the first 100 bytes, a pause, then the rest. */
  function serveSlowly(path: string, bytes: Buffer, pauseMs: number): void {
    server.route(path, async (_req, res) => {
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(bytes.subarray(0, 100));
      await new Promise((r) => setTimeout(r, pauseMs));
      res.end(bytes.subarray(100));
    });
  }

  it('starts with the buildpack line, names each transfer, and shows a slow download progressing, all on stdout', async () => {
    const node = await makeNodeRuntimeTarball();
    const sidecar = await serveFixtureSidecar(server);
    serveSlowly('/slow/node.tgz', await readFile(node.path), 2600);
    serveSlowly('/slow/config-server.tgz', await readFile(sidecar.path), 2600);
    const buildpack = await makeTestBuildpack({
      dependencies: [
        {
          name: 'node',
          version: '22.23.1',
          uri: `${server.url}/slow/node.tgz`,
          sha256: node.sha256,
          cf_stacks: ['cflinuxfs4'],
        },
        { ...sidecar, uri: `${server.url}/slow/config-server.tgz` },
      ],
    });
    const result = await runPhase(buildpack, 'supply', supplyArgs(await stagingDirs(APP)), {
      env: { SIDECAR_PROGRESS_INTERVAL: '1' },
    });
    expect(result.exitCode, result.all).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      `-----> Sidecar Buildpack version ${(await readFile(join(REPO_ROOT, 'VERSION'), 'utf8')).trim()}`,
      '-----> Installing Node.js 22.23.1 for staging',
      `       Download [${server.url}/slow/node.tgz]`,
    ]);
    expect(result.stdout).toMatch(/\n {7}node 22\.23\.1: \d+ B of \d+ B \(\d+%\), \d+ B\/s\n/);
    expect(result.stdout).toContain(`\n       Download [${server.url}/slow/config-server.tgz]\n`);
    expect(result.stdout).toMatch(/\n {7}config-server 1\.0\.0: \d+ B of \d+ B \(\d+%\), [\d.]+ (B|KB)\/s\n/);
    expect(result.stderr).toBe('');
  });

  it('names the packaged file it copies from an offline zip', async () => {
    const sidecar = await serveFixtureSidecar(server);
    const file = `dependencies/${createHash('md5').update(sidecar.uri).digest('hex')}/${basename(sidecar.path)}`;
    const buildpack = await makeTestBuildpack({
      node: { server },
      dependencies: [{ ...sidecar, uri: 'https://deps.invalid/config-server-1.0.0.tgz', file }],
    });
    await mkdir(join(buildpack, dirname(file)), { recursive: true });
    await copyFile(sidecar.path, join(buildpack, file));
    const result = await runPhase(buildpack, 'supply', supplyArgs(await stagingDirs(APP)));
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain(`\n       Copy [${file}]\n`);
  });

  it('puts ERROR lines on stdout at 7 spaces, with no stack under BP_DEBUG', async () => {
    const buildpack = await makeTestBuildpack({ node: { server }, dependencies: [] });
    const dirs = await stagingDirs();
    await writeFile(join(dirs.buildDir, 'sidecars.yml'), 'sidecars:\n  - name: x\n    memory: lots\n');
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs), { env: { BP_DEBUG: '1' } });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^ {7}\*\*ERROR\*\* sidecars\.yml:\d+: /m);
    expect(result.stdout).toContain('       DEBUG: ');
    expect(result.all).not.toMatch(/\n\s+at /);
    expect(result.stderr).toBe('');
  });

  it('says which stacks it supports when the app is on another', async () => {
    const buildpack = await makeTestBuildpack({ node: { server }, dependencies: [] });
    const result = await runPhase(buildpack, 'supply', supplyArgs(await stagingDirs(APP)), {
      env: { CF_STACK: 'cflinuxfs3' },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '       **ERROR** This buildpack does not support the stack cflinuxfs3; it supports: cflinuxfs4',
    );
    expect(result.stdout).not.toContain('found no Node.js runtime');
  });
});

describe('detect without a Node.js runtime', () => {
  it('declines an app with a sidecars.yml and no start command without fetching or unpacking node', async () => {
    const buildpack = await makeTestBuildpack({ node: { server }, dependencies: [] });
    const before = server.hits('/node').length;
    const dirs = await stagingDirs();
    await writeFile(join(dirs.buildDir, 'sidecars.yml'), 'sidecars:\n  - name: agent\n    dependency: x\n');
    const declined = await runPhase(buildpack, 'detect', [dirs.buildDir], { env: { BP_DEBUG: '1' } });
    expect(declined.exitCode).toBe(1);
    expect(declined.stderr).toContain('detect: sidecars.yml found but no start command');
    expect(server.hits('/node').length - before).toBe(0);

    // With a start command the answer needs the YAML parsed: the bundle runs, with its runtime.
    await writeFile(join(dirs.buildDir, 'sidecars.yml'), 'command: ./run\nsidecars: []\n');
    const claimed = await runPhase(buildpack, 'detect', [dirs.buildDir]);
    expect(claimed.exitCode, claimed.all).toBe(0);
    expect(claimed.stdout).toBe('sidecar');
    expect(server.hits('/node').length - before).toBe(1);
  });
});
