/** Downloads (the node runtime by curl, sidecars by node-fetch) go through HTTP_PROXY. */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FIXTURES, tutorialBuildpack } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { startProxy, type RecordingProxy } from '../support/proxy.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';

let server: TestServer;
let proxy: RecordingProxy;
let buildpack: string;

beforeAll(async () => {
  server = await startServer();
  proxy = await startProxy();
  buildpack = await tutorialBuildpack(server);
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});

it('sends every download through HTTP_PROXY and never logs its credentials', async () => {
  const dirs = await stagingDirs(join(FIXTURES, 'apps', 'config-server-app'));
  const proxyUrl = proxy.url.replace('http://', 'http://proxyuser:pr0xy-secret@');
  const result = await runPhase(buildpack, 'supply', supplyArgs(dirs), {
    env: { HTTP_PROXY: proxyUrl, http_proxy: proxyUrl, BP_DEBUG: '1' },
  });
  expect(result.exitCode, result.all).toBe(0);
  const targets = proxy.relayed.map((r) => r.target);
  expect(targets).toContain(`${server.url}/node/node_22.23.1_linux_x64_cflinuxfs4.tgz`);
  expect(targets).toContain(`${server.url}/sidecars/config-server-1.0.0.tgz`);
  expect(
    proxy.relayed.every(
      (r) => r.auth === `Basic ${Buffer.from('proxyuser:pr0xy-secret').toString('base64')}`,
    ),
  ).toBe(true);
  expect(result.all).not.toContain('pr0xy-secret');
});

it('goes direct for hosts in NO_PROXY', async () => {
  const before = proxy.relayed.length;
  const dirs = await stagingDirs(join(FIXTURES, 'apps', 'config-server-app'));
  const result = await runPhase(buildpack, 'supply', supplyArgs(dirs), {
    env: { http_proxy: proxy.url, no_proxy: '127.0.0.1' },
  });
  expect(result.exitCode, result.all).toBe(0);
  expect(proxy.relayed.length - before).toBe(0);
});
