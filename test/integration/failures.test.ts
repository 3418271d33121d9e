/**
 * Integration 6: failure paths, read as a user reads `cf push` output. Each staging fails with
 * one `**ERROR**` line naming the file, line and key (or the dependency), a hint, and the
 * lifecycle's own last line; no stack trace, no credential, no droplet.
 */
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestDependency } from '../../src/dependencies/manifest-types.js';
import { stage, type StageOutcome } from '../../tools/cf-local/index.js';
import { makeTestBuildpack, serveFixtureSidecar } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { tempDir } from '../support/tmp.js';
import { BINARY_BUILDPACK, tutorialApp } from './support/apps.js';

const SUPPLY_FAILED = 'Failed to run all supply scripts: exit status 1';

describe('failure paths in the staging log', () => {
  let server: TestServer;
  let sidecar: ManifestDependency;

  beforeAll(async () => {
    server = await startServer();
    sidecar = await serveFixtureSidecar(server);
  });
  afterAll(() => server?.close());

  async function stageTutorial(
    options: { sidecarsYml?: string; dependencies?: ManifestDependency[]; memoryMb?: number } = {},
  ) {
    const buildpack = await makeTestBuildpack({
      node: { server },
      dependencies: options.dependencies ?? [sidecar],
    });
    const app = await tutorialApp();
    if (options.sidecarsYml) await writeFile(join(app.dir, 'sidecars.yml'), options.sidecarsYml);
    const outDir = await tempDir('staged-');
    const outcome = await stage({
      appDir: app.dir,
      buildpacks: [buildpack, BINARY_BUILDPACK],
      env: app.env,
      cacheDir: await tempDir('cache-'),
      outDir,
      ...(options.memoryMb ? { processMemoryMb: options.memoryMb } : {}),
    });
    return { outcome, outDir };
  }

  /** The failure's last lines, and the guarantees every failure keeps. */
  async function failureTail(
    result: { outcome: StageOutcome; outDir: string },
    lines: number,
  ): Promise<string[]> {
    const { outcome, outDir } = result;
    expect(outcome.ok, outcome.log.join('\n')).toBe(false);
    expect(
      outcome.log.filter((l) => /^\s+at /.test(l)),
      'stack trace in the log',
    ).toEqual([]);
    await expect(access(join(outDir, 'droplet'))).rejects.toThrow('ENOENT');
    return outcome.log.slice(-lines);
  }

  it('points at the line and key of a bad size in sidecars.yml', async () => {
    const yml =
      'sidecars:\n  - name: config-server\n    dependency: config-server\n    command: ./config-server\n    memory: lots\n';
    expect(await failureTail(await stageTutorial({ sidecarsYml: yml }), 3)).toEqual([
      '       **ERROR** sidecars.yml:5: sidecars[0].memory: "lots" is not a size like 256M',
      '       Write megabytes as 256, 256M or 256MB, gigabytes as 1G.',
      SUPPLY_FAILED,
    ]);
  });

  // Errors found while resolving dependencies point at the sidecar's entry (its first line).
  it('names the dependencies on offer when sidecars.yml misspells one', async () => {
    const yml = 'sidecars:\n  - name: x\n    dependency: confg-server\n    memory: 64M\n';
    expect(await failureTail(await stageTutorial({ sidecarsYml: yml }), 3)).toEqual([
      '       **ERROR** sidecars.yml:2: sidecars[0].dependency: dependency "confg-server" is not in this buildpack (it offers: config-server)',
      '       Use one of those names, or give a uri and sha256 instead.',
      SUPPLY_FAILED,
    ]);
  });

  it('lists the versions available when none matches', async () => {
    const yml =
      'sidecars:\n  - name: config-server\n    dependency: config-server\n    version: 9.x\n    command: ./config-server\n    memory: 64M\n';
    const tail = await failureTail(await stageTutorial({ sidecarsYml: yml }), 2);
    expect(tail).toEqual([
      '       **ERROR** sidecars.yml:2: sidecars[0].version: no version of dependency "config-server" matches "9.x" on cflinuxfs4 (available: 1.0.0)',
      SUPPLY_FAILED,
    ]);
  });

  it('refuses a download whose sha256 differs, without printing the credentials of its URL', async () => {
    const tampered = {
      ...sidecar,
      sha256: '0'.repeat(64),
      uri: sidecar.uri.replace('http://', 'http://deploy:s3cretpw@'),
    };
    const result = await stageTutorial({ dependencies: [tampered] });
    const tail = await failureTail(result, 3);
    expect(tail[0]).toMatch(
      /^ {7}\*\*ERROR\*\* config-server 1\.0\.0: dependency sha256 mismatch: expected 0{64} actual [0-9a-f]{64}$/,
    );
    expect(tail[2]).toBe(SUPPLY_FAILED);
    expect(result.outcome.log.join('\n')).not.toContain('s3cretpw');
  });

  it('reports an unreachable dependency without its credentials', async () => {
    const missing = {
      ...sidecar,
      uri: `${server.url.replace('http://', 'http://deploy:s3cretpw@')}/nothing-here.tgz`,
    };
    const result = await stageTutorial({ dependencies: [missing] });
    const tail = await failureTail(result, 1);
    expect(tail).toEqual([SUPPLY_FAILED]);
    const error = result.outcome.log.find((l) => l.startsWith('       **ERROR**'));
    expect(error).toMatch(/404/);
    expect(result.outcome.log.join('\n')).not.toContain('s3cretpw');
  });

  it('stages sidecars bigger than the app, then fails the push as Cloud Controller does', async () => {
    const yml =
      'sidecars:\n  - name: config-server\n    dependency: config-server\n    command: ./config-server\n    memory: 1G\n';
    const tail = await failureTail(await stageTutorial({ sidecarsYml: yml, memoryMb: 1024 }), 2);
    expect(tail).toEqual([
      '-----> Binary Buildpack version 1.0.0',
      'The memory allocation defined is too large to run with the dependent "web" process',
    ]);
  });
});
