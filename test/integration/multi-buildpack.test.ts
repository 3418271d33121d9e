/**
 * Integration 2: multi-buildpack. An agent supply buildpack at index 0, ours at index 1, the
 * binary-style final buildpack at index 2; the app declares two sidecars for different process
 * types. launch.yml files of both indexes merge, our commands name index 1, and each process
 * type's container runs exactly its own sidecars.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stage } from '../../tools/cf-local/index.js';
import { tutorialBuildpack } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { freePort, waitForHttp } from '../support/net.js';
import { tempDir } from '../support/tmp.js';
import { AGENT_SUPPLY_BUILDPACK, BINARY_BUILDPACK, tutorialApp, withRunningApp } from './support/apps.js';

describe('multi-buildpack: our buildpack at index 1', () => {
  let server: TestServer;
  let buildpack: string;

  beforeAll(async () => {
    server = await startServer();
    buildpack = await tutorialBuildpack(server);
  });
  afterAll(() => server?.close());

  it('merges launch.yml of indexes 0 and 1 and runs each process type with its own sidecars', async () => {
    const app = await tutorialApp();
    const [webPort, workerPort] = [String(await freePort()), String(await freePort())];
    await writeFile(join(app.dir, 'Procfile'), 'web: python3 app.py\nworker: python3 app.py\n');
    await writeFile(
      join(app.dir, 'sidecars.yml'),
      stringify({
        sidecars: [
          {
            name: 'config-server',
            dependency: 'config-server',
            command: './config-server',
            process_types: ['web'],
            memory: '64M',
            env: { CONFIG_SERVER_PORT: webPort },
          },
          {
            name: 'worker-config',
            dependency: 'config-server',
            command: './config-server',
            process_types: ['worker'],
            memory: '32M',
            env: { CONFIG_SERVER_PORT: workerPort },
          },
        ],
      }),
    );
    const staged = await stage({
      appDir: app.dir,
      buildpacks: [AGENT_SUPPLY_BUILDPACK, buildpack, BINARY_BUILDPACK],
      cacheDir: await tempDir('cache-'),
      outDir: await tempDir('staged-'),
    });
    expect(staged.ok, staged.log.join('\n')).toBe(true);
    if (!staged.ok) return;

    expect(staged.result.lifecycle_metadata.buildpacks.map((b) => b.name)).toEqual([
      'agent-supply',
      'sidecar',
      'binary',
    ]);
    expect(staged.result.sidecars.map((s) => [s.name, s.process_types, s.memory])).toEqual([
      ['agent', ['web', 'worker'], 16],
      ['config-server', ['web'], 64],
      ['worker-config', ['worker'], 32],
    ]);
    for (const name of ['config-server', 'worker-config']) {
      expect(staged.result.sidecars.find((s) => s.name === name)?.command).toContain(
        '"$DEPS_DIR/1/sidecars/',
      );
    }
    const profileScripts = (
      await readFile(join(staged.stagedDir, 'droplet', 'profile.d', '0_agent.sh'), 'utf8')
    ).trim();
    expect(profileScripts).toBe('export AGENT_HOME="$DEPS_DIR/0"');

    for (const [processType, port, own, other] of [
      ['web', webPort, 'config-server', 'worker-config'],
      ['worker', workerPort, 'worker-config', 'config-server'],
    ] as const) {
      await withRunningApp(
        {
          stagedDir: staged.stagedDir,
          processType,
          env: { CONFIG_SERVER_PORT: port },
          healthCheckType: 'port',
        },
        async (running) => {
          const view = await running.waitUntilRunning();
          expect(view.processes.map((p) => p.name).sort()).toEqual([processType, 'agent', own].sort());
          expect(view.processes.map((p) => p.name)).not.toContain(other);
          const body = await waitForHttp(`${running.url()}/config`, 10_000);
          expect(JSON.parse(body)).toMatchObject({ Scope: 'config-server-sidecar' });
          const agent = await running.waitForLog('agent: home');
          expect(agent.source).toBe(`APP/PROC/${processType.toUpperCase()}/SIDECAR/AGENT`);
          expect(agent.text).toBe(`agent: home ${join(view.home, 'deps', '0')}`);
        },
      );
    }
  });
});
