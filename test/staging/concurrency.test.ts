/**
 * Two stagings that share nothing but the machine (the buildpack, its download server, TMPDIR)
 * run at the same time without seeing each other's files.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LaunchYml } from '../../src/launch/launch-types.js';
import { makeTestBuildpack, serveFixtureSidecar } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';
import { tempDir } from '../support/tmp.js';
import { listTree } from '../support/tree.js';

let server: TestServer;
let buildpack: string;
let sidecar: Awaited<ReturnType<typeof serveFixtureSidecar>>;

beforeAll(async () => {
  server = await startServer();
  sidecar = await serveFixtureSidecar(server);
  buildpack = await makeTestBuildpack({ node: { server }, dependencies: [sidecar] });
});
afterAll(() => server.close());

async function appWith(name: string) {
  const dirs = await stagingDirs();
  await writeFile(
    join(dirs.buildDir, 'sidecars.yml'),
    `sidecars:\n  - name: ${name}\n    uri: ${sidecar.uri}\n    sha256: ${sidecar.sha256}\n    command: ./config-server\n    memory: 64M\n`,
  );
  await writeFile(join(dirs.buildDir, 'Procfile'), 'web: ./app\n');
  return dirs;
}

describe('concurrent stagings', () => {
  it('supply twice at once, each installing only its own sidecar', async () => {
    const machineTmp = await tempDir('machine-tmp-');
    const [a, b] = await Promise.all([appWith('alpha'), appWith('beta')]);
    const results = await Promise.all(
      [a, b].map((dirs) => runPhase(buildpack, 'supply', supplyArgs(dirs), { env: { TMPDIR: machineTmp } })),
    );
    for (const result of results) expect(result.exitCode, result.all).toBe(0);
    for (const [dirs, name] of [
      [a, 'alpha'],
      [b, 'beta'],
    ] as const) {
      expect(await listTree(join(dirs.depsDir, '0', 'sidecars'))).toEqual([name, `${name}/config-server`]);
      const launch = parse(await readFile(join(dirs.depsDir, '0', 'launch.yml'), 'utf8')) as LaunchYml;
      expect(launch.processes.map((p) => p.type)).toEqual([name]);
    }
  });

  it('detect three times at once, all bootstrapping node into the same TMPDIR', async () => {
    const machineTmp = await tempDir('machine-tmp-');
    const apps = await Promise.all(['one', 'two', 'three'].map((name) => appWith(name)));
    // A start command in sidecars.yml (not a Procfile, which the shim answers alone) needs the bundle.
    for (const dirs of apps) {
      await rm(join(dirs.buildDir, 'Procfile'));
      const file = join(dirs.buildDir, 'sidecars.yml');
      await writeFile(file, `command: ./app\n${await readFile(file, 'utf8')}`);
    }
    const results = await Promise.all(
      apps.map((dirs) => runPhase(buildpack, 'detect', [dirs.buildDir], { env: { TMPDIR: machineTmp } })),
    );
    for (const result of results)
      expect([result.exitCode, result.stdout], result.all).toEqual([0, 'sidecar']);
    // One runtime, and no download or unpacking leftovers of the others.
    expect(await readdir(join(machineTmp, 'sidecar_buildpack', 'node'))).toEqual([
      expect.stringMatching(/^22\.23\.1-[0-9a-f]{12}$/),
    ]);
  });
});
