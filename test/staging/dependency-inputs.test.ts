/**
 * A manifest dependency whose default command reads a file of the app (`app_files`, the
 * collector's otelcol.yaml): staging warns when the app lacks it, and only then.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestBuildpack, serveFixtureSidecar } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';

let server: TestServer;
let buildpack: string;

beforeAll(async () => {
  server = await startServer();
  buildpack = await makeTestBuildpack({
    node: { server },
    dependencies: [await serveFixtureSidecar(server)],
    manifest: {
      sidecar_defaults: {
        'config-server': {
          command: './config-server --config "${CONFIG_SERVER_CONFIG:-$HOME/config-server.yml}"',
          memory: '64M',
          app_files: [{ path: 'config-server.yml', unless_env: 'CONFIG_SERVER_CONFIG' }],
        },
      },
    },
  });
});
afterAll(() => server.close());

const WARNING =
  '       **WARNING** config: its command reads config-server.yml of the app, and the app has none: the sidecar exits at start. Push config-server.yml with the app, or set CONFIG_SERVER_CONFIG in its env: to the file it should read';

describe("a dependency's default command that reads a file of the app", () => {
  it.each([
    ['the app lacks the file', '', false, true],
    ['the app has it', '', true, false],
    [
      'its env names another file',
      '    env: { CONFIG_SERVER_CONFIG: /home/vcap/app/conf/x.yml }\n',
      false,
      false,
    ],
    ['the app gives its own command', '    command: ./config-server\n', false, false],
  ])('warns only when %s', async (_, extra, hasFile, warns) => {
    const dirs = await stagingDirs();
    await writeFile(
      join(dirs.buildDir, 'sidecars.yml'),
      `sidecars:\n  - name: config\n    dependency: config-server\n${extra}`,
    );
    if (hasFile) await writeFile(join(dirs.buildDir, 'config-server.yml'), 'port: 8082\n');
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
    if (warns) expect(result.stdout).toContain(WARNING);
    else expect(result.stdout).not.toContain('**WARNING**');
  });
});
