/**
 * Integration 1, the seed's tutorial end to end on cf-local: the config-server app staged with
 * the sidecar buildpack in front of a binary-style final buildpack, run as Diego would; GET
 * /config answers with the sidecar's body; `kill -9` of the sidecar crashes the whole instance,
 * which restarts with Cloud Foundry's crash line.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stage } from '../../tools/cf-local/index.js';
import { tutorialBuildpack } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { tempDir } from '../support/tmp.js';
import { waitForHttp } from '../support/net.js';
import { alive, BINARY_BUILDPACK, tutorialApp, withRunningApp } from './support/apps.js';

describe('tutorial: config-server sidecar beside a web app', () => {
  let server: TestServer;
  let buildpack: string;

  beforeAll(async () => {
    server = await startServer();
    buildpack = await tutorialBuildpack(server);
  });
  afterAll(() => server?.close());

  it('stages, serves GET /config from the sidecar, and restarts the instance when the sidecar is killed', async () => {
    const app = await tutorialApp();
    const staged = await stage({
      appDir: app.dir,
      buildpacks: [buildpack, BINARY_BUILDPACK],
      env: app.env,
      cacheDir: await tempDir('cache-'),
      outDir: await tempDir('staged-'),
    });
    expect(staged.ok, staged.log.join('\n')).toBe(true);
    if (!staged.ok) return;

    expect(staged.result.lifecycle_metadata.buildpacks.map((b) => b.name)).toEqual(['sidecar', 'binary']);
    expect(staged.result.process_types.web).toBe('python3 app.py');
    expect(staged.result.sidecars).toEqual([
      expect.objectContaining({ name: 'config-server', process_types: ['web'], memory: 64 }),
    ]);
    const droplet = join(staged.stagedDir, 'droplet');
    for (const dir of ['app', 'deps', 'profile.d', 'tmp', 'logs'])
      expect((await stat(join(droplet, dir))).isDirectory()).toBe(true);
    expect(JSON.parse(await readFile(join(droplet, 'staging_info.yml'), 'utf8'))).toEqual({
      detected_buildpack: 'binary',
      start_command: 'python3 app.py',
    });

    await withRunningApp({ stagedDir: staged.stagedDir, memory: '512M' }, async (running) => {
      const first = await running.waitUntilRunning();
      // Start order is undefined on Diego too: the sidecar may answer a moment after the web port.
      const body = await waitForHttp(`${running.url()}/config`, 10_000);
      expect(JSON.parse(body)).toMatchObject({ Scope: 'config-server-sidecar' });
      expect(running.logs).toContainEqual(
        expect.objectContaining({
          source: 'APP/PROC/WEB/SIDECAR/CONFIG-SERVER',
          text: expect.stringContaining('config-server: listening'),
        }),
      );
      expect(running.logs).toContainEqual(
        expect.objectContaining({ source: 'APP/PROC/WEB', text: expect.stringContaining('app: listening') }),
      );

      const sidecar = first.processes.find((p) => p.isSidecar);
      const web = first.processes.find((p) => !p.isSidecar);
      expect(sidecar && web).toBeTruthy();
      process.kill(sidecar!.pid, 'SIGKILL');

      const crash = await running.waitForLog('App instance exited');
      expect(crash.source).toBe('API');
      expect(crash.text).toContain(
        '"exit_description"=>"APP/PROC/WEB/SIDECAR/CONFIG-SERVER: Exited with status 137"',
      );
      expect(crash.text).toContain('"reason"=>"CRASHED"');
      expect(crash.text).toContain('"crash_count"=>1');
      // Codependency: the web process went down with its sidecar.
      expect(alive([web!.pid, sidecar!.pid])).toEqual([]);

      const second = await running.waitUntilRunning(0, 15_000, 1);
      expect(second.guid).not.toBe(first.guid);
      expect(second.processes.map((p) => p.pid)).not.toContain(sidecar!.pid);
      expect(JSON.parse(await waitForHttp(`${running.url()}/config`, 10_000))).toMatchObject({
        Scope: 'config-server-sidecar',
      });
    });
  });
});
