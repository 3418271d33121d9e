/**
 * Secrets never leak: credentials and signed query strings in sidecar uris, proxy credentials and
 * service bindings (VCAP_SERVICES) appear in no log line (BP_DEBUG on), in no launch.yml, and in
 * no file that supply and finalize leave in the droplet (DEPS_DIR, BUILD_DIR, PROFILE_DIR) or in
 * the cache, whether staging succeeds, retries or fails.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestBuildpack, serveFixtureSidecar, FIXTURES } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { startProxy, type RecordingProxy } from '../support/proxy.js';
import { runPhase, stagingDirs, supplyArgs, type StagingDirs } from '../support/staging.js';
import { tempDir } from '../support/tmp.js';
import { listTree } from '../support/tree.js';

const URI_USER = 'sc-user-4t';
const URI_PASSWORD = 'sc-p@ss-8z';
const SIGNATURE = 'sig-9q7w2';
const PROXY_USER = 'proxy-user-6h';
const PROXY_PASSWORD = 'proxy-pw-3k';
const BINDING_SECRET = 'vcap-secret-5m';
const SECRETS = [
  URI_USER,
  URI_PASSWORD,
  encodeURIComponent(URI_PASSWORD),
  SIGNATURE,
  PROXY_USER,
  PROXY_PASSWORD,
  BINDING_SECRET,
  // As sent in the Authorization headers.
  Buffer.from(`${URI_USER}:${URI_PASSWORD}`).toString('base64'),
  Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64'),
];

const VCAP_SERVICES = JSON.stringify({
  'user-provided': [
    {
      name: 'config-db',
      credentials: { password: BINDING_SECRET, uri: `postgres://admin:${BINDING_SECRET}@db.internal/x` },
    },
  ],
});

let server: TestServer;
let proxy: RecordingProxy;
let buildpack: string;
let sidecarSha: string;

beforeAll(async () => {
  server = await startServer();
  proxy = await startProxy();
  const sidecar = await serveFixtureSidecar(server);
  sidecarSha = sidecar.sha256;
  server.route('/signed/agent.tgz', async (_req, res) => {
    res.writeHead(200).end(await readFile(sidecar.path));
  });
  let flaky = 0;
  server.route('/flaky/agent.tgz', async (_req, res) => {
    if (++flaky === 1) return void res.writeHead(503).end();
    res.writeHead(200).end(await readFile(sidecar.path));
  });
  buildpack = await makeTestBuildpack({ node: { server }, dependencies: [sidecar] });
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});

function secretUri(path: string): string {
  const url = new URL(`${server.url}${path}`);
  url.username = URI_USER;
  url.password = encodeURIComponent(URI_PASSWORD);
  url.searchParams.set('X-Amz-Signature', SIGNATURE);
  return url.href;
}

/** The staging env: a secret uri in SIDECARS_YML (not in an app file), proxy, bindings, BP_DEBUG. */
function stagingEnv(path: string): Record<string, string> {
  const proxyUrl = proxy.url.replace('http://', `http://${PROXY_USER}:${PROXY_PASSWORD}@`);
  return {
    SIDECARS_YML: [
      'sidecars:',
      '  - name: config-server',
      `    uri: ${secretUri(path)}`,
      `    sha256: ${sidecarSha}`,
      '    command: ./config-server',
      '    memory: 64M',
      // A binding used by the sidecar: staging writes how to find the value, never the value.
      '    credentials:',
      '      - name: config-db',
      '        env: { DB_PASSWORD: password, DB_URI: uri }',
      '',
    ].join('\n'),
    http_proxy: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    VCAP_SERVICES,
    BP_DEBUG: '1',
  };
}

/** Every secret found in `text`, for a readable failure. */
function leaks(text: string, needles = SECRETS): string[] {
  return needles.filter((secret) => text.includes(secret));
}

/** Reads every regular file under the dirs; returns `path: needle` for each one found. */
async function findInFiles(dirs: string[], needles = SECRETS): Promise<string[]> {
  const found: string[] = [];
  for (const dir of dirs) {
    for (const path of await listTree(dir)) {
      const bytes = await readFile(join(dir, path)).catch(() => undefined);
      if (!bytes) continue;
      for (const needle of leaks(bytes.toString('latin1'), needles))
        found.push(`${join(dir, path)}: ${needle}`);
    }
  }
  return found;
}

async function stage(dirs: StagingDirs, path: string, profileDir: string) {
  const env = stagingEnv(path);
  const supply = await runPhase(buildpack, 'supply', supplyArgs(dirs), { env });
  const finalize =
    supply.exitCode === 0
      ? await runPhase(buildpack, 'finalize', [...supplyArgs(dirs), profileDir], { env })
      : undefined;
  return { supply, finalize, log: supply.all + (finalize?.all ?? '') };
}

describe('secrets', () => {
  it.each([
    ['a successful staging', '/signed/agent.tgz', 0],
    ['a staging that retries after a 503', '/flaky/agent.tgz', 0],
    ['a staging that fails on a 404', '/missing/agent.tgz', 1],
  ])('leak into no log line and no file in %s', async (_what, path, exitCode) => {
    const dirs = await stagingDirs(join(FIXTURES, 'apps', 'config-server-app'));
    const profileDir = await tempDir('profile-');
    const { supply, finalize, log } = await stage(dirs, path, profileDir);
    expect(supply.exitCode, supply.all).toBe(exitCode);
    if (exitCode === 0) {
      expect(finalize?.exitCode, finalize?.all).toBe(0);
      // The binding is wired up by name, so the sidecar gets its values at launch.
      expect(await findInFiles([dirs.depsDir], ['config-db'])).not.toEqual([]);
    }

    // The secrets did travel: the uri's credentials and the proxy's went out as headers.
    expect(proxy.relayed.some((r) => r.target.includes(path))).toBe(true);
    expect(log).toContain('DEBUG:');
    expect(log).toContain(`http://***@127.0.0.1:${server.port}${path}?X-Amz-Signature=***`);

    expect(leaks(log)).toEqual([]);
    expect(await findInFiles([dirs.depsDir, dirs.buildDir, profileDir, dirs.cacheDir])).toEqual([]);
  });
});
