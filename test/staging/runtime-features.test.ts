/**
 * The run-time features end to end: bin/supply writes the scripts, runtime.json and the supervised
 * launch command; then the staged droplet's app and sidecar start as the launcher starts them.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { LaunchYml } from '../../src/launch/launch-types.js';
import type { RuntimeJson } from '../../src/runtime/runtime-types.js';
import { FIXTURES, tutorialBuildpackForFile } from '../support/buildpack.js';
import { freePort, waitForHttp } from '../support/net.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';
import { dropletFromStaging, launch, MiB, type Droplet } from '../runtime/launcher.js';

const APP = join(FIXTURES, 'apps', 'config-server-app');
const SECRET = 'vcap-secret-7d1e0c';
const setup = tutorialBuildpackForFile();

function sidecarsYml(port: number, memory = '256M'): string {
  return [
    'sidecars:',
    '  - name: config-server',
    '    dependency: config-server',
    '    command: ./config-server',
    `    memory: ${memory}`,
    `    env: { CONFIG_SERVER_PORT: "${port}" }`,
    `    ready: { http: "http://localhost:${port}/config/", timeout: 20s }`,
    `    health: { tcp: ${port}, interval: 2s }`,
    '    stop: { grace: 5s }',
    '    credentials:',
    '      - tag: config',
    '        env: { CONFIG_TOKEN: token }',
  ].join('\n');
}

async function stage(yml: string) {
  const dirs = await stagingDirs(APP);
  await writeFile(join(dirs.buildDir, 'sidecars.yml'), yml);
  const vcapServices = JSON.stringify({
    cfg: [{ name: 'cfg', tags: ['config'], credentials: { token: SECRET } }],
  });
  const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs), {
    env: { MEMORY_LIMIT: '1024m', VCAP_SERVICES: vcapServices },
  });
  return { dirs, result, vcapServices };
}

async function treeText(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) text += await readFile(join(entry.parentPath, entry.name), 'latin1');
  return text;
}

describe('run-time features staged by bin/supply', () => {
  it('writes the scripts, runtime.json, both profile.d copies and a supervised launch command', async () => {
    const port = await freePort();
    const { dirs, result } = await stage(sidecarsYml(port));
    expect(result.exitCode, result.all).toBe(0);
    const runtimeDir = join(dirs.depsDir, '0', 'sidecar_runtime');
    expect((await readdir(runtimeDir)).sort()).toEqual(
      [
        'bin',
        'cf-metadata.sh',
        'credentials.sh',
        'launch-yml-reader.sh',
        'memory-guard.sh',
        'other-sidecars.cmd',
        'probe.sh',
        'proc-tree.sh',
        'process-types',
        'profile.sh',
        'ready-wait.sh',
        'runtime.json',
        'sidecars.sh',
        'supervise.sh',
      ].sort(),
    );
    expect(await readFile(join(runtimeDir, 'process-types', 'web.tsv'), 'utf8')).toBe(
      `memory\t256\nready\tconfig-server\thttp\thttp://localhost:${port}/config/\t20\tfail\n`,
    );
    const runtime = JSON.parse(await readFile(join(runtimeDir, 'runtime.json'), 'utf8')) as RuntimeJson;
    expect(runtime.processTypes).toEqual({ web: { sidecarMemoryMb: 256, sidecars: ['config-server'] } });
    expect(runtime.otherSidecars).toEqual([]);
    expect(await readFile(join(runtimeDir, 'other-sidecars.cmd'), 'utf8')).toBe('');
    expect(runtime.sidecars['config-server']).toMatchObject({
      ready: { kind: 'http', url: `http://localhost:${port}/config/`, timeoutSeconds: 20, onTimeout: 'fail' },
      health: { kind: 'tcp', port, intervalSeconds: 2, failureThreshold: 3 },
      stop: { graceSeconds: 5 },
      credentials: [{ by: 'tag', value: 'config', env: { CONFIG_TOKEN: ['token'] } }],
    });
    const guard = await readFile(join(dirs.buildDir, '.profile.d', 'sidecar_buildpack.sh'), 'utf8');
    expect(await readFile(join(dirs.depsDir, '0', 'profile.d', 'sidecar_buildpack.sh'), 'utf8')).toBe(guard);

    const launchYml = parse(await readFile(join(dirs.depsDir, '0', 'launch.yml'), 'utf8')) as LaunchYml;
    expect(launchYml.processes[0]?.command).toBe(
      `cd "$DEPS_DIR/0/sidecars/config-server" && export CONFIG_SERVER_PORT='${port}' && exec bash "$DEPS_DIR/0/sidecar_runtime/supervise.sh" 'config-server' './config-server'`,
    );
    expect(result.stdout).toContain('-----> Sidecar run time');
    expect(result.stdout).toContain(
      `config-server: ready: http http://localhost:${port}/config/ within 20s, else fail; health: tcp ${port} every 2s, stop after 3 failures; stop: outlives the app by up to 5s; credentials: CONFIG_TOKEN from tag "config"`,
    );
    expect(result.stdout).toContain(
      'Process type web: sidecars reserve 256M; a JVM app needs at least 981M there',
    );
    expect(result.stdout).not.toContain('**WARNING**');
  });

  it('never writes or prints anything from VCAP_SERVICES at staging', async () => {
    const { dirs, result } = await stage(sidecarsYml(await freePort()));
    expect(result.exitCode).toBe(0);
    expect(result.all).not.toContain(SECRET);
    expect(await treeText(dirs.depsDir)).not.toContain(SECRET);
    expect(await treeText(dirs.buildDir)).not.toContain(SECRET);
  });

  it('warns when the sidecars leave a JVM less than it needs, and says how to raise the memory', async () => {
    const { result } = await stage(sidecarsYml(await freePort(), '400M'));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      "       **WARNING** The sidecars of process type web reserve 400M of at most 1G: a JVM would get less than 624M, below the 725M a typical app needs (Java memory calculator: 250 threads, 15,000 classes, 128M heap). Give web at least 1125M: `cf scale APP -m 1125M` or `memory:` in manifest.yml, or lower the sidecars' memory.",
    );
  });
});

describe('failure cases', () => {
  it('fails staging on a bad run-time value with file, line, key and hint, leaving nothing behind', async () => {
    const dirs = await stagingDirs(APP);
    await writeFile(
      join(dirs.buildDir, 'sidecars.yml'),
      'sidecars:\n  - name: cs\n    dependency: config-server\n    command: ./config-server\n    memory: 64M\n    stop: { grace: 15s }\n',
    );
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '       **ERROR** sidecars.yml:6: sidecars[0].stop.grace: "15s" is not between 1s and 9s',
    );
    expect(result.stdout + result.stderr).toContain(
      'Cloud Foundry kills every process of the container 10 s after SIGTERM',
    );
    expect(await readdir(join(dirs.depsDir, '0'))).toEqual([]);
    expect(await readdir(dirs.buildDir)).not.toContain('.profile.d');
  });
});

describe('a staged droplet at run time', () => {
  async function droplet(dirs: { buildDir: string; depsDir: string }): Promise<Droplet> {
    const d = await dropletFromStaging(dirs);
    await writeFile(join(d.cgroupRoot, 'memory.max'), `${1024 * MiB}\n`);
    return d;
  }

  it('starts the sidecar under its supervisor and the app after it, with the guarded MEMORY_LIMIT', async () => {
    const port = await freePort();
    const { dirs, result, vcapServices } = await stage(sidecarsYml(port));
    expect(result.exitCode, result.all).toBe(0);
    const d = await droplet(dirs);
    const launchYml = parse(await readFile(join(d.depsDir, '0', 'launch.yml'), 'utf8')) as LaunchYml;
    const appPort = await freePort();
    const env = { PORT: String(appPort), CONFIG_SERVER_PORT: String(port) };

    // The app first: its process must wait in profile.d until the sidecar answers.
    const app = launch(d, 'echo "app MEMORY_LIMIT=$MEMORY_LIMIT"; exec python3 app.py', {
      vcapServices,
      env,
      memoryLimit: '1024m',
    });
    await new Promise((r) => setTimeout(r, 1000));
    const sidecar = launch(d, launchYml.processes[0]?.command ?? '', {
      vcapServices,
      env,
      memoryLimit: '256m',
    });
    try {
      const body = await waitForHttp(`http://127.0.0.1:${appPort}/config`, 20_000);
      expect(JSON.parse(body)).toMatchObject({ Scope: 'config-server-sidecar' });
    } finally {
      app.kill('SIGTERM');
      sidecar.kill('SIGTERM');
    }
    const [appResult, sidecarResult] = await Promise.all([app, sidecar]);
    expect(appResult.stdout).toContain('app MEMORY_LIMIT=768m');
    expect(appResult.all).toMatch(/ready wait: sidecar 'config-server' ready after \d+\.\ds/);
    expect(sidecarResult.all).toContain(
      "a sidecar's launch in process type 'web'; MEMORY_LIMIT 256m left alone",
    );
    expect(sidecarResult.all).toContain('[sidecar-buildpack] config-server: stopped');
    expect(appResult.all + sidecarResult.all).not.toContain(SECRET);
  });

  /** Stages `yml` into an app without other files and returns its droplet and launch.yml. */
  async function stagedDroplet(yml: string): Promise<{ d: Droplet; launchYml: LaunchYml }> {
    const dirs = await stagingDirs();
    await writeFile(join(dirs.buildDir, 'sidecars.yml'), yml);
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
    const d = await droplet(dirs);
    return { d, launchYml: parse(await readFile(join(d.depsDir, '0', 'launch.yml'), 'utf8')) as LaunchYml };
  }

  it('exports Cloud Foundry metadata to a sidecar with cf_metadata: true, computed at launch', async () => {
    const yml = [
      'sidecars:',
      '  - name: agent',
      '    command: ./agent-cmd',
      '    memory: 32M',
      '    cf_metadata: true',
      '  - name: plain',
      '    command: ./plain-cmd',
      '    memory: 32M',
    ].join('\n');
    const { d, launchYml } = await stagedDroplet(yml);
    const [agent, plain] = launchYml.processes.map((p) => p.command);
    expect(agent).toBe(
      `cd "$DEPS_DIR/../app" && source "$DEPS_DIR/0/sidecar_runtime/cf-metadata.sh" && exec bash "$DEPS_DIR/0/sidecar_runtime/supervise.sh" 'agent' './agent-cmd'`,
    );
    // Nothing of the app's identity is in the droplet: it is read at launch.
    expect(await treeText(d.depsDir)).not.toContain('my-app');

    const printEnv = 'env | grep -E "^(CF_APP|CF_SPACE|CF_ORG|CF_PROCESS|OTEL_)" | sort';
    const env = { CF_INSTANCE_INDEX: '2', OTEL_RESOURCE_ATTRIBUTES: 'service.name=agent' };
    const withMetadata = await launch(d, (agent ?? '').replace('./agent-cmd', printEnv), { env });
    expect(withMetadata.stdout.split('\n').filter((l) => /^(CF_|OTEL_)/.test(l))).toEqual([
      'CF_APP_NAME=my-app',
      'CF_PROCESS_ID=guid',
      'CF_PROCESS_TYPE=web',
      'OTEL_RESOURCE_ATTRIBUTES=service.name=agent,cloudfoundry.app.name=my-app,cloudfoundry.app.instance.id=2,cloudfoundry.process.id=guid,cloudfoundry.process.type=web',
    ]);
    const without = await launch(d, (plain ?? '').replace('./plain-cmd', printEnv), { env });
    expect(without.stdout).not.toContain('CF_APP_NAME');
    expect(without.stdout).toMatch(/^OTEL_RESOURCE_ATTRIBUTES=service\.name=agent$/m);
  });

  it('keeps a chatty sidecar to its errors with output: errors, supervised or not', async () => {
    const chatty = 'echo info-line; echo error-line >&2';
    const yml = [
      'sidecars:',
      '  - name: quiet',
      `    command: ${JSON.stringify(chatty)}`,
      '    memory: 32M',
      '    output: errors',
      '  - name: supervised',
      `    command: ${JSON.stringify(chatty)}`,
      '    memory: 32M',
      '    output: errors',
      '    stop: { grace: 2s }',
    ].join('\n');
    const { d, launchYml } = await stagedDroplet(yml);
    for (const { command } of launchYml.processes) {
      const run = await launch(d, command);
      expect(run.stdout, command).not.toContain('info-line');
      expect(run.stderr, command).toContain('error-line');
    }
    expect(launchYml.processes[1]?.command).toContain('supervise.sh');
  });
});
