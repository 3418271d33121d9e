/**
 * Integration 5: restaging. The second staging of an app takes its node runtime and sidecars from
 * the staging cache (no request reaches the server); after the operator updates the buildpack in
 * place (`cf update-buildpack`, same key) with a newer sidecar in its manifest, the restage picks
 * the newer version up and the app runs with it.
 */
import { cp, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestDependency } from '../../src/dependencies/manifest-types.js';
import { stage } from '../../tools/cf-local/index.js';
import { makeTestBuildpack, serveFixtureSidecar, serveNodeRuntime } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { waitForHttp } from '../support/net.js';
import { tempDir } from '../support/tmp.js';
import { BINARY_BUILDPACK, tutorialApp, withRunningApp } from './support/apps.js';

describe('restaging', () => {
  let server: TestServer;
  let v1: ManifestDependency;
  let v11: ManifestDependency;
  let node: ManifestDependency;

  beforeAll(async () => {
    server = await startServer();
    // One node tarball for both buildpack versions: the upgrade changes the sidecar only.
    node = await serveNodeRuntime(server);
    v1 = await serveFixtureSidecar(server);
    v11 = await serveFixtureSidecar(server, 'config-server', { version: '1.1.0' });
  });
  afterAll(() => server?.close());

  it('uses the staging cache, then picks up a dependency upgrade of the buildpack', async () => {
    const buildpack = await makeTestBuildpack({ dependencies: [node, v1] });
    const app = await tutorialApp();
    const cacheDir = await tempDir('cache-');
    const restage = async () => {
      const outcome = await stage({
        appDir: app.dir,
        buildpacks: [buildpack, BINARY_BUILDPACK],
        env: app.env,
        cacheDir,
        outDir: await tempDir('staged-'),
      });
      expect(outcome.ok, outcome.log.join('\n')).toBe(true);
      return outcome;
    };

    const first = await restage();
    expect(
      first.log.some((l) => /^ {7}config-server 1\.0\.0: downloaded \(\d+ B\), sha256 verified$/.test(l)),
    ).toBe(true);
    expect(server.hits('/node/')).toHaveLength(1);
    expect(server.hits('/sidecars/')).toHaveLength(1);

    const second = await restage();
    expect(second.log).toContain('-----> Using Node.js 22.23.1 for staging (from the staging cache)');
    expect(second.log).toContain('       config-server 1.0.0: from the staging cache, sha256 verified');
    expect(server.hits('/node/')).toHaveLength(1);
    expect(server.hits('/sidecars/')).toHaveLength(1);

    // cf update-buildpack: same buildpack key, new manifest listing config-server 1.1.0 too.
    const upgraded = await makeTestBuildpack({ dependencies: [node, v1, v11] });
    await rm(buildpack, { recursive: true });
    await cp(upgraded, buildpack, { recursive: true });

    const third = await restage();
    expect(third.log).toContain('-----> Installing sidecar config-server 1.1.0');
    expect(third.log.some((l) => /^\s+config-server\s+1\.1\.0\s+download\s+web\s+64M$/.test(l))).toBe(true);
    expect(server.hits('/sidecars/config-server-1.1.0')).toHaveLength(1);
    expect(server.hits('/node/')).toHaveLength(1);
    if (!third.ok) return;

    await withRunningApp({ stagedDir: third.stagedDir, memory: '256M' }, async (running) => {
      await running.waitUntilRunning();
      expect(JSON.parse(await waitForHttp(`${running.url()}/config`, 10_000))).toMatchObject({
        Scope: 'config-server-sidecar',
      });
    });
  });
});
