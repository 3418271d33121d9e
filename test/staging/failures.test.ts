/**
 * Staging failures a user can cause: each must print one clear `**ERROR**` line (no stack trace)
 * and leave nothing behind in DEPS_DIR or the cache.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestBuildpack, serveFixtureSidecar, FIXTURES } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';

let server: TestServer;
let buildpack: string;
let sidecarUri: string;
let sidecarSha: string;

beforeAll(async () => {
  server = await startServer();
  const sidecar = await serveFixtureSidecar(server);
  sidecarUri = sidecar.uri;
  sidecarSha = sidecar.sha256;
  buildpack = await makeTestBuildpack({ node: { server }, dependencies: [sidecar] });
});
afterAll(() => server.close());

async function stageWith(sidecarsYml: string, env: Record<string, string> = {}) {
  const dirs = await stagingDirs();
  await writeFile(join(dirs.buildDir, 'sidecars.yml'), sidecarsYml);
  const result = await runPhase(buildpack, 'supply', supplyArgs(dirs), { env });
  return { dirs, result };
}

async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).sort();
}

describe('failure cases', () => {
  it('fails on a sha256 mismatch with expected and actual, leaving nothing in deps or cache', async () => {
    const wrong = 'a'.repeat(64);
    const { dirs, result } = await stageWith(
      `sidecars:\n  - name: cs\n    uri: ${sidecarUri}\n    sha256: ${wrong}\n    command: ./config-server\n    memory: 64M\n`,
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`dependency sha256 mismatch: expected ${wrong} actual ${sidecarSha}`);
    expect(result.all).not.toMatch(/\n\s+at /);
    expect(await listTree(join(dirs.depsDir, '0'))).toEqual([]);
    expect((await listTree(join(dirs.cacheDir, 'dependencies'))).filter((p) => !p.includes('node'))).toEqual(
      [],
    );
  });

  it('names the file, line and key of a bad memory value', async () => {
    const { dirs, result } = await stageWith(
      'sidecars:\n  - name: cs\n    dependency: config-server\n    command: ./config-server\n    memory: lots\n',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      '**ERROR** sidecars.yml:5: sidecars[0].memory: "lots" is not a size like 256M',
    );
    expect(await listTree(join(dirs.depsDir, '0'))).toEqual([]);
  });

  it('explains the Java buildpack consequence when memory is missing', async () => {
    const { result } = await stageWith(
      'sidecars:\n  - name: cs\n    dependency: config-server\n    command: ./config-server\n',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('sidecars.yml:2: sidecars[0].memory: is missing');
    expect(result.stdout + result.stderr).toMatch(/Java buildpack sizes the JVM to the whole container/);
  });

  it('lists the available versions when none matches', async () => {
    const { result } = await stageWith(
      'sidecars:\n  - name: cs\n    dependency: config-server\n    version: 2.x\n    command: ./config-server\n    memory: 64M\n',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      'no version of dependency "config-server" matches "2.x" on cflinuxfs4 (available: 1.0.0)',
    );
  });

  it('names the dependency and the redacted URL on a 404, without retrying', async () => {
    const before = server.hits('/missing').length;
    const { dirs, result } = await stageWith(
      `sidecars:\n  - name: cs\n    uri: ${server.url.replace('http://', 'http://user:hunter22@')}/missing/agent.tgz?token=abc123\n    sha256: ${sidecarSha}\n    command: ./agent\n    memory: 64M\n`,
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /could not download sidecar "cs" from http:\/\/\*\*\*@127\.0\.0\.1:\d+\/missing\/agent\.tgz\?token=\*\*\*: HTTP 404/,
    );
    expect(result.all).not.toContain('hunter22');
    expect(result.all).not.toContain('abc123');
    expect(server.hits('/missing').length - before).toBe(1);
    expect(await listTree(join(dirs.depsDir, '0'))).toEqual([]);
  });

  it('fails cleanly when the config is in SIDECARS_YML and broken', async () => {
    const dirs = await stagingDirs(join(FIXTURES, 'apps', 'config-server-app'));
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs), {
      env: { SIDECARS_YML: 'sidecars:\n  - name: x\n    dependncy: config-server\n' },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      '**ERROR** $SIDECARS_YML:3: sidecars[0].dependncy: unknown key; did you mean "dependency"?',
    );
  });
});
