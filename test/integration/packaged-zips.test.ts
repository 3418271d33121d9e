/**
 * Integration 4: the packaged zips (scripts/package.sh) staged on cf-local as an operator's
 * foundation would: the cached zip with no network at all, the online zip against a local
 * dependency server, and the online zip when the dependencies are reachable only through a proxy.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestDependency } from '../../src/dependencies/manifest-types.js';
import { stage } from '../../tools/cf-local/index.js';
import {
  makeTestBuildpack,
  REPO_ROOT,
  serveFixtureSidecar,
  serveNodeRuntime,
  withDocs,
} from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { freePort, waitForHttp } from '../support/net.js';
import { tempDir } from '../support/tmp.js';
import { listTree } from '../support/tree.js';
import { BINARY_BUILDPACK, tutorialApp, withRunningApp } from './support/apps.js';
import { startForwardProxy, type ForwardProxy } from './support/forward-proxy.js';

const PACKAGE_SH = join(REPO_ROOT, 'scripts', 'package.sh');
/** Never resolves (RFC 2606): stands in for buildpacks.cloudfoundry.org. */
const UNREACHABLE = 'http://deps.example.invalid';

/** Env that sends every HTTP(S) request to a closed port: "no network". */
async function noNetwork(): Promise<Record<string, string>> {
  const closed = `http://127.0.0.1:${await freePort()}`;
  return { HTTP_PROXY: closed, HTTPS_PROXY: closed, http_proxy: closed, https_proxy: closed };
}

describe('packaged zips', () => {
  let server: TestServer;
  let proxy: ForwardProxy;
  /** Artifacts with the local server's uris (online) and a mirror dir holding the same bytes. */
  let local: ManifestDependency[];
  let mirrorDir: string;

  beforeAll(async () => {
    server = await startServer();
    proxy = await startForwardProxy();
    local = [await serveNodeRuntime(server), await serveFixtureSidecar(server)];
    mirrorDir = await tempDir('mirror-');
    for (const dep of local) {
      const name = dep.uri.slice(dep.uri.lastIndexOf('/') + 1);
      await writeFile(join(mirrorDir, name), await (await fetch(dep.uri)).bytes());
      proxy.file(`${UNREACHABLE}/${dep.name}/${name}`, join(mirrorDir, name));
    }
    server.requests.length = 0;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await proxy?.close();
  });

  /** A buildpack tree with these dependencies, packaged by scripts/package.sh. */
  async function packageZip(dependencies: ManifestDependency[], flags: string[]): Promise<string> {
    const source = await withDocs(await makeTestBuildpack({ dependencies }));
    const output = await tempDir('zips-');
    const result = await execa(
      PACKAGE_SH,
      ['--source', source, '--output', output, '--version', '1.2.3', ...flags],
      {
        reject: false,
        all: true,
        env: { SIDECAR_BUILDPACK_MIRROR: mirrorDir, SIDECAR_BUILDPACK_CACHE: await tempDir('pkg-cache-') },
      },
    );
    expect(result.exitCode, result.all).toBe(0);
    const [zip] = await readdir(output);
    return join(output, zip ?? '');
  }

  const unreachable = (): ManifestDependency[] =>
    local.map((d) => ({ ...d, uri: `${UNREACHABLE}/${d.name}/${d.uri.slice(d.uri.lastIndexOf('/') + 1)}` }));

  async function stageAndServe(zip: string, env: Record<string, string>, cacheDir?: string) {
    const app = await tutorialApp();
    const outcome = await stage({
      appDir: app.dir,
      buildpacks: [zip, BINARY_BUILDPACK],
      env: { ...app.env, ...env },
      cacheDir: cacheDir ?? (await tempDir('cache-')),
      outDir: await tempDir('staged-'),
    });
    expect(outcome.ok, outcome.log.join('\n')).toBe(true);
    if (!outcome.ok) return outcome;
    // The run has no proxy: a sidecar on localhost must not depend on it.
    await withRunningApp(
      { stagedDir: outcome.stagedDir, memory: '256M', env: { HTTP_PROXY: '', http_proxy: '' } },
      async (running) => {
        await running.waitUntilRunning();
        expect(JSON.parse(await waitForHttp(`${running.url()}/config`, 10_000))).toMatchObject({
          Scope: 'config-server-sidecar',
        });
      },
    );
    return outcome;
  }

  it('stages from the cached zip with no network at all', async () => {
    const zip = await packageZip(unreachable(), ['--cached', '--stack', 'cflinuxfs4']);
    expect(zip).toMatch(/sidecar_buildpack-cached-cflinuxfs4-v1\.2\.3\.zip$/);
    const cacheDir = await tempDir('cache-');
    const outcome = await stageAndServe(zip, await noNetwork(), cacheDir);
    expect(outcome.log).toContain('-----> Using Node.js 22.23.1 for staging (in the buildpack)');
    // The runtime ran in place and the sidecar came from the buildpack: the app's build cache,
    // which Cloud Controller stores per app, holds neither, only the bundle's code cache of
    // supply (under 1 MiB; this buildpack is not the final one here). cf-local keeps one cache
    // dir per buildpack, as the lifecycle does.
    const files = (await listTree(cacheDir)).filter((path) => /\.[a-z0-9]+$/.test(path));
    expect(
      files.map((f) => f.replace(/^[^/]+\//, '').replace(/bundle-.*-(\w+)\.v8$/, 'bundle-$1.v8')),
    ).toEqual(['sidecar_buildpack/code-cache/bundle-supply.v8']);
    const bytes = await Promise.all(files.map(async (f) => (await stat(join(cacheDir, f))).size));
    expect(bytes.reduce((a, b) => a + b, 0)).toBeLessThan(1024 * 1024);
    expect(outcome.log).toContain(
      '       config-server 1.0.0: from the buildpack (offline), sha256 verified',
    );
    expect(outcome.log.join('\n')).not.toMatch(/downloaded/);
    expect(server.requests).toEqual([]);
    expect(proxy.requested).toEqual([]);
  });

  it('stages from the online zip, downloading from the dependency server', async () => {
    const zip = await packageZip(local, []);
    expect(zip).toMatch(/sidecar_buildpack-v1\.2\.3\.zip$/);
    const outcome = await stageAndServe(zip, {});
    expect(outcome.log).toContain('-----> Using Node.js 22.23.1 for staging (downloaded, sha256 verified)');
    expect(server.hits('/node/')).toHaveLength(1);
    expect(server.hits('/sidecars/')).toHaveLength(1);
  });

  it('stages from the online zip when the dependencies are reachable only through HTTP_PROXY', async () => {
    const zip = await packageZip(unreachable(), []);
    const before = proxy.requested.length;
    await stageAndServe(zip, { HTTP_PROXY: proxy.url, http_proxy: proxy.url, NO_PROXY: '' });
    expect(proxy.requested.slice(before).sort()).toEqual(
      unreachable()
        .map((d) => d.uri)
        .sort(),
    );
  });
});
