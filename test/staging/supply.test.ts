/**
 * bin/supply end to end, called exactly as the lifecycle calls it, on a PATH without node,
 * against a local server holding the node runtime and the sidecar archives.
 */
import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LaunchYml } from '../../src/launch/launch-types.js';
import { shellQuote } from '../../src/launch/shell-quote.js';
import { makeTestBuildpack, serveFixtureSidecar, FIXTURES } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';
import { tempDir } from '../support/tmp.js';
import { freePort, waitForHttp } from '../support/net.js';

const APP = join(FIXTURES, 'apps', 'config-server-app');
let server: TestServer;
let buildpack: string;

beforeAll(async () => {
  server = await startServer();
  const sidecar = await serveFixtureSidecar(server);
  buildpack = await makeTestBuildpack({ node: { server }, dependencies: [sidecar] });
});
afterAll(() => server.close());

async function readLaunch(depsDir: string, index = 0): Promise<LaunchYml> {
  return parse(await readFile(join(depsDir, String(index), 'launch.yml'), 'utf8')) as LaunchYml;
}

describe('bin/supply', () => {
  it('bootstraps node from the manifest, installs the sidecar and writes a launch.yml the lifecycle accepts', async () => {
    const dirs = await stagingDirs(APP);
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain('Using Node.js 22.23.1 for staging (downloaded, sha256 verified)');
    expect(result.stdout).toMatch(/-----> Installing sidecar config-server 1\.0\.0/);
    expect(result.stdout).toMatch(/config-server\s+1\.0\.0\s+download\s+web\s+64M/);

    const launch = await readLaunch(dirs.depsDir);
    expect(launch.processes).toHaveLength(1);
    const [entry] = launch.processes;
    expect(entry).toMatchObject({
      type: 'config-server',
      platforms: { cloudfoundry: { sidecar_for: ['web'] } },
      limits: { memory: 64 },
    });
    expect(Number.isInteger(entry?.limits?.memory)).toBe(true);
    expect(entry?.command).toContain('"$DEPS_DIR/0/sidecars/config-server"');
    expect(entry?.command).not.toContain(dirs.depsDir);
    expect(parse(await readFile(join(dirs.depsDir, '0', 'config.yml'), 'utf8'))).toEqual({
      name: 'sidecar',
      version: expect.any(String),
    });
  });

  it('writes a command that starts the sidecar from a droplet unpacked at another path', async () => {
    const dirs = await stagingDirs(APP);
    expect((await runPhase(buildpack, 'supply', supplyArgs(dirs))).exitCode).toBe(0);
    const home = await tempDir('home-vcap-');
    await cp(dirs.depsDir, join(home, 'deps'), { recursive: true });
    await cp(dirs.buildDir, join(home, 'app'), { recursive: true });
    await rm(dirs.depsDir, { recursive: true });

    const port = await freePort();
    const launch = await readLaunch(join(home, 'deps'));
    const command = (launch.processes[0]?.command ?? '').replace(
      "CONFIG_SERVER_PORT='8082'",
      `CONFIG_SERVER_PORT='${port}'`,
    );
    const sidecar = execa('bash', ['-c', command], {
      cwd: join(home, 'app'),
      env: { DEPS_DIR: join(home, 'deps'), HOME: join(home, 'app') },
      reject: false,
    });
    try {
      const body = await waitForHttp(`http://127.0.0.1:${port}/config/`);
      expect(JSON.parse(body)).toMatchObject({ Scope: 'config-server-sidecar' });
    } finally {
      // The supervisor passes SIGTERM on to the sidecar's process group and exits with it.
      sidecar.kill('SIGTERM');
      await sidecar;
    }
  });

  it('carries a command and env values with quotes, $ and backquotes into launch.yml intact', async () => {
    const dirs = await stagingDirs();
    // What the app developer wrote, byte for byte: bash at launch must see exactly this.
    const command = `printf '%s|%s|%s|%s\\n' "it's" '$HOME stays' "$GREETING" "$(cat marker)" > "$OUT"`;
    const greeting = `say "hi" & 'bye' $USER \`id\` \\n`;
    await writeFile(
      join(dirs.buildDir, 'sidecars.yml'),
      stringify({
        sidecars: [
          {
            name: 'quoted',
            dependency: 'config-server',
            command,
            memory: '64M',
            env: { GREETING: greeting },
          },
        ],
      }),
    );
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
    const [entry] = (await readLaunch(dirs.depsDir)).processes;
    expect(entry?.command.endsWith(` ${shellQuote(command)}`)).toBe(true);

    await writeFile(join(dirs.depsDir, '0', 'sidecars', 'quoted', 'marker'), 'from the install dir');
    const out = join(await tempDir('out-'), 'out.txt');
    await execa('bash', ['-c', entry?.command ?? ''], {
      env: { DEPS_DIR: dirs.depsDir, HOME: '/home/vcap/app', OUT: out },
      extendEnv: false,
    });
    expect(await readFile(out, 'utf8')).toBe(`it's|$HOME stays|${greeting}|from the install dir\n`);
  });

  it('stages at index 1 with the index in every path', async () => {
    const dirs = await stagingDirs(APP, 2);
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs, 1));
    expect(result.exitCode, result.all).toBe(0);
    const launch = await readLaunch(dirs.depsDir, 1);
    expect(launch.processes[0]?.command).toContain('"$DEPS_DIR/1/sidecars/config-server"');
    expect(await readdir(join(dirs.depsDir, '1', 'sidecars', 'config-server'))).toContain('config-server');
    expect(await readdir(join(dirs.depsDir, '0'))).toEqual([]);
  });

  it('restages from the cache without a single request', async () => {
    const dirs = await stagingDirs(APP);
    expect((await runPhase(buildpack, 'supply', supplyArgs(dirs))).exitCode).toBe(0);
    const before = server.requests.length;
    await rm(dirs.depsDir, { recursive: true });
    const again = await stagingDirs(APP);
    const result = await runPhase(buildpack, 'supply', [again.buildDir, dirs.cacheDir, again.depsDir, '0']);
    expect(result.exitCode, result.all).toBe(0);
    expect(server.requests.length - before).toBe(0);
    expect(result.stdout).toContain('(from the staging cache)');
    expect(result.stdout).toMatch(/config-server\s+1\.0\.0\s+cache/);
  });

  it('removes cache entries the staging no longer uses', async () => {
    const dirs = await stagingDirs(APP);
    const stale = join(dirs.cacheDir, 'dependencies', 'f'.repeat(64));
    await cp(join(FIXTURES, 'apps'), stale, { recursive: true });
    expect((await runPhase(buildpack, 'supply', supplyArgs(dirs))).exitCode).toBe(0);
    const entries = await readdir(join(dirs.cacheDir, 'dependencies'));
    expect(entries).toHaveLength(1);
    expect(entries).not.toContain('f'.repeat(64));
  });

  it.each(['zip', 'tar.xz'] as const)(
    'installs a uri sidecar packed as %s, pinned by its sha256',
    async (format) => {
      const archive = await serveFixtureSidecar(server, 'config-server', {
        version: `2.0.0-${format}`,
        format,
      });
      const dirs = await stagingDirs();
      await writeFile(
        join(dirs.buildDir, 'sidecars.yml'),
        `sidecars:\n  - name: cfg\n    uri: ${archive.uri}\n    sha256: ${archive.sha256}\n    command: ./config-server\n    memory: 32M\n`,
      );
      const result = await runPhase(buildpack, 'supply', supplyArgs(dirs));
      expect(result.exitCode, result.all).toBe(0);
      expect(result.stdout).toContain(`Unpacked ${format} into $DEPS_DIR/0/sidecars/cfg`);
      expect(result.stdout).toMatch(/cfg\s+-\s+download\s+web\s+32M/);
      const launch = await readLaunch(dirs.depsDir);
      expect(launch.processes[0]).toMatchObject({ type: 'cfg', limits: { memory: 32 } });
    },
  );

  it('does nothing for an app without sidecars.yml', async () => {
    const dirs = await stagingDirs();
    await writeFile(join(dirs.buildDir, 'index.html'), 'hi');
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain('nothing to install');
    expect(await readdir(join(dirs.depsDir, '0'))).toEqual([]);
  });
});

describe('operator defaults in the staging environment group', () => {
  it('stages the operator’s sidecar under an app that has none, and logs which layer set what', async () => {
    const dirs = await stagingDirs();
    const defaults =
      'sidecars:\n  - name: config-server\n    dependency: config-server\n    command: ./config-server\n    memory: 64M\n';
    const alone = await runPhase(buildpack, 'supply', supplyArgs(dirs), {
      env: { SIDECARS_DEFAULTS_YML: defaults },
    });
    expect(alone.exitCode, alone.all).toBe(0);
    expect(alone.stdout).toContain('       Reading $SIDECARS_DEFAULTS_YML (operator): 1 sidecar(s)\n');
    expect(alone.stdout).toContain("       config-server: the operator's default, as it is\n");
    const launch = parse(await readFile(join(dirs.depsDir, '0', 'launch.yml'), 'utf8')) as LaunchYml;
    expect(launch.processes.map((p) => [p.type, p.limits?.memory])).toEqual([['config-server', 64]]);

    const over = await stagingDirs();
    await writeFile(
      join(over.buildDir, 'sidecars.yml'),
      'sidecars:\n  - name: config-server\n    memory: 96M\n',
    );
    const layered = await runPhase(buildpack, 'supply', supplyArgs(over), {
      env: { SIDECARS_DEFAULTS_YML: defaults },
    });
    expect(layered.exitCode, layered.all).toBe(0);
    expect(layered.stdout).toContain(
      "       config-server: the operator's default, with memory from sidecars.yml\n",
    );
    const launch2 = parse(await readFile(join(over.depsDir, '0', 'launch.yml'), 'utf8')) as LaunchYml;
    expect(launch2.processes.map((p) => [p.type, p.limits?.memory])).toEqual([['config-server', 96]]);
  });
});
