/**
 * Integration 3: a Java-shaped final buildpack (fixtures/buildpacks/java-shaped: the Java
 * buildpack's start command, which runs the memory calculator with --total-memory=$MEMORY_LIMIT
 * on every start). On cf-local, with the container limited to the process memory, the JVM the
 * calculator configures plus the sidecar's reserved memory must fit the container: with Cloud
 * Controller subtracting the sidecar memory from MEMORY_LIMIT, and with an older one that does not
 * (which needs the buildpack's profile.d memory guard, issue 3).
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stage, type RunningApp } from '../../tools/cf-local/index.js';
import { FIXTURES, tutorialBuildpack } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { waitForHttp } from '../support/net.js';
import { tempDir } from '../support/tmp.js';
import { tutorialApp, withRunningApp } from './support/apps.js';

const JAVA_SHAPED = join(FIXTURES, 'buildpacks', 'java-shaped');
const CONTAINER_MB = 1024;
const SIDECAR_MB = 256;

/** `java stand-in: JVM total 768M (...) for MEMORY_LIMIT=768m` -> [768, '768m'] */
async function jvmTotal(app: RunningApp): Promise<{ jvmMb: number; memoryLimit: string }> {
  const line = await app.waitForLog(/^java stand-in: JVM total \d+M/);
  const match = /JVM total (\d+)M .* for MEMORY_LIMIT=(\S+)$/.exec(line.text);
  expect(match, line.text).toBeTruthy();
  return { jvmMb: Number(match?.[1]), memoryLimit: match?.[2] ?? '' };
}

describe('Java-shaped final buildpack: JVM + sidecars fit the container', () => {
  let server: TestServer;
  let stagedDir: string;

  beforeAll(async () => {
    server = await startServer();
    const buildpack = await tutorialBuildpack(server);
    const app = await tutorialApp();
    // A Java app has no Procfile: the start command is the buildpack's release (the stand-in
    // java then serves the tutorial's app.py).
    await rm(join(app.dir, 'Procfile'));
    const port = app.env.CONFIG_SERVER_PORT;
    await writeFile(
      join(app.dir, 'sidecars.yml'),
      `sidecars:\n  - name: config-server\n    dependency: config-server\n    command: ./config-server\n    memory: ${SIDECAR_MB}M\n    env: {CONFIG_SERVER_PORT: '${port}'}\n`,
    );
    const staged = await stage({
      appDir: app.dir,
      buildpacks: [buildpack, JAVA_SHAPED],
      env: app.env,
      cacheDir: await tempDir('cache-'),
      outDir: await tempDir('staged-'),
    });
    if (!staged.ok) throw new Error(staged.log.join('\n'));
    expect(staged.result.process_types.web).toContain('--total-memory=$MEMORY_LIMIT');
    stagedDir = staged.stagedDir;
  });
  afterAll(() => server?.close());

  async function runJava(subtractSidecarMemory: boolean) {
    return withRunningApp({ stagedDir, memory: `${CONTAINER_MB}M`, subtractSidecarMemory }, async (app) => {
      await app.waitUntilRunning();
      const seen = await jvmTotal(app);
      // The app really runs, next to its sidecar, inside the limit.
      expect(JSON.parse(await waitForHttp(`${app.url()}/config`, 10_000))).toMatchObject({
        Scope: 'config-server-sidecar',
      });
      expect(app.instance().crashCount).toBe(0);
      return seen;
    });
  }

  it('fits when Cloud Controller subtracts the sidecar memory from MEMORY_LIMIT', async () => {
    const { jvmMb, memoryLimit } = await runJava(true);
    expect(memoryLimit).toBe(`${CONTAINER_MB - SIDECAR_MB}m`);
    expect(jvmMb + SIDECAR_MB).toBeLessThanOrEqual(CONTAINER_MB);
  });

  it('fits when an older Cloud Controller does not subtract (the profile.d memory guard lowers MEMORY_LIMIT)', async () => {
    const { jvmMb, memoryLimit } = await runJava(false);
    expect(memoryLimit).toBe(`${CONTAINER_MB - SIDECAR_MB}m`);
    expect(jvmMb + SIDECAR_MB).toBeLessThanOrEqual(CONTAINER_MB);
  });
});
