/**
 * The platform docs' sidecar tutorial as it is written (cloudfoundry-samples/capi-sidecar-samples):
 * the app ships its config-server binary and declares it as in its app manifest. The manifest's
 * `sidecars:` entry, pasted into sidecars.yml unchanged, stages and runs: the sidecar starts from
 * the app dir, its executable bit is set at staging, its memory is reserved, and the memory guard
 * treats its launch as a sidecar's.
 */
import { execa } from 'execa';
import { chmod, copyFile, cp, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stage } from '../../tools/cf-local/index.js';
import { FIXTURES, tutorialBuildpack } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { freePort, waitForHttp } from '../support/net.js';
import { staticFixtures } from '../support/static-fixtures.js';
import { tempDir } from '../support/tmp.js';
import { BINARY_BUILDPACK, TUTORIAL_APP, withRunningApp } from './support/apps.js';

/**
 * A manifest `sidecars:` entry in the shape of the tutorial's (a flow list with a quoted type, a
 * size in MB), moved into sidecars.yml as it is. Not the tutorial's bytes: its 256MB needs an app
 * of more than 256M, and this test runs one of 512M.
 */
const MANIFEST_SIDECARS = `sidecars:
- name: config-server
  process_types: [ 'web' ]
  command: ./config-server
  memory: 256MB
`;

describe('a sidecar in the app’s own files (the docs’ tutorial, unchanged)', () => {
  let server: TestServer;
  let buildpack: string;

  beforeAll(async () => {
    server = await startServer();
    buildpack = await tutorialBuildpack(server);
  });
  afterAll(() => server?.close());

  // The tutorial twice: with the fixtures that borrow python3 from the host, and with static
  // binaries that run on the stack as it is (cflinuxfs4 has no python3).
  const apps = {
    'python3 fixtures': async (app: string) => {
      for (const file of ['app.py', 'Procfile']) await cp(join(TUTORIAL_APP, file), join(app, file));
      await copyFile(
        join(FIXTURES, 'sidecars', 'config-server', 'config-server'),
        join(app, 'config-server'),
      );
    },
    'static binaries (no python3)': async (app: string) => {
      const built = await staticFixtures();
      await copyFile(built.app, join(app, 'app'));
      await writeFile(join(app, 'Procfile'), 'web: ./app\n');
      await copyFile(built.configServer, join(app, 'config-server'));
      // Static: no interpreter, no shared library of the host's.
      const ldd = await execa('ldd', [join(app, 'config-server')], { reject: false, all: true });
      expect(ldd.all).toContain('not a dynamic executable');
    },
  };

  it.each(Object.entries(apps))(
    'stages from the app dir, reserves its memory, and serves GET /config from it: %s',
    async (_, makeApp) => {
      const app = await tempDir('app-files-');
      await makeApp(app);
      // Pushed without its executable bit, as from a zip or a Windows machine.
      await chmod(join(app, 'config-server'), 0o644);
      await writeFile(join(app, 'sidecars.yml'), MANIFEST_SIDECARS);
      // The sample listens on a fixed port; here each test run gets its own, through the app's env.
      const env = { CONFIG_SERVER_PORT: String(await freePort()) };

      const staged = await stage({
        appDir: app,
        buildpacks: [buildpack, BINARY_BUILDPACK],
        env,
        cacheDir: await tempDir('cache-'),
        outDir: await tempDir('staged-'),
      });
      expect(staged.ok, staged.log.join('\n')).toBe(true);
      if (!staged.ok) return;
      expect(staged.log).toContain("       Runs from the app's files: ./config-server");
      expect(staged.log).toContain('       ./config-server is in the app and executable');
      expect(staged.result.sidecars).toEqual([
        {
          name: 'config-server',
          process_types: ['web'],
          command: `cd "$DEPS_DIR/../app" && exec bash "$DEPS_DIR/0/sidecar_runtime/supervise.sh" 'config-server' './config-server'`,
          memory: 256,
        },
      ]);
      const droplet = join(staged.stagedDir, 'droplet');
      expect((await stat(join(droplet, 'app', 'config-server'))).mode & 0o111).toBe(0o111);
      const launch = parse(await readFile(join(droplet, 'deps', '0', 'launch.yml'), 'utf8')) as {
        processes: { type: string; limits: { memory: number } }[];
      };
      expect(launch.processes.map((p) => [p.type, p.limits.memory])).toEqual([['config-server', 256]]);

      await withRunningApp({ stagedDir: staged.stagedDir, memory: '1G', env }, async (running) => {
        await running.waitUntilRunning();
        const body = await waitForHttp(`${running.url()}/config`, 10_000);
        expect(JSON.parse(body)).toMatchObject({ Scope: 'config-server-sidecar' });
        // Cloud Controller gave the app 1024M - 256M; the guard saw the sidecar's launch as one.
        expect(running.logs).toContainEqual(
          expect.objectContaining({
            source: 'APP/PROC/WEB/SIDECAR/CONFIG-SERVER',
            text: expect.stringContaining("a sidecar's launch in process type 'web'"),
          }),
        );
        expect(running.logs).toContainEqual(
          expect.objectContaining({
            source: 'APP/PROC/WEB',
            text: expect.stringContaining('MEMORY_LIMIT 768m'),
          }),
        );
      });
    },
    120_000,
  );
});
