/**
 * when_bound through the real shims: an operator's default agent that each app turns on by
 * binding a service (the Java buildpack's convention), as Cloud Controller stages it, with
 * VCAP_SERVICES in the staging env.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tutorialBuildpackForFile } from '../support/buildpack.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';
import { listTree } from '../support/tree.js';

const setup = tutorialBuildpackForFile();

const DEFAULTS = [
  'sidecars:',
  '  - name: agent',
  '    dependency: config-server',
  '    command: ./config-server',
  '    memory: 64M',
  '    when_bound: {label: config-service}',
  '    credentials: {CONFIG_TOKEN: token}',
  '',
].join('\n');

const BOUND = JSON.stringify({
  'config-service': [
    { name: 'my-config', label: 'config-service', tags: [], credentials: { token: 's3cr3t-token' } },
  ],
});

describe('an operator default with when_bound', () => {
  it('is staged when its service is bound, and the log names the service', async () => {
    const dirs = await stagingDirs();
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs), {
      env: { SIDECARS_DEFAULTS_YML: DEFAULTS, VCAP_SERVICES: BOUND },
    });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain(
      '       agent: staged, turned on by the bound service "my-config" (label "config-service")',
    );
    const launch = await readFile(join(dirs.depsDir, '0', 'launch.yml'), 'utf8');
    expect(launch).toContain('- type: agent');
    // The credentials are read at launch: their values are in no file of the droplet.
    const runtime = await readFile(join(dirs.depsDir, '0', 'sidecar_runtime', 'runtime.json'), 'utf8');
    expect(JSON.parse(runtime).sidecars.agent.credentials).toEqual([
      { by: 'label', value: 'config-service', env: { CONFIG_TOKEN: ['token'] } },
    ]);
    expect(runtime + launch + result.all).not.toContain('s3cr3t-token');
  });

  it('is left out when no such service is bound, with a line that says how to turn it on', async () => {
    const dirs = await stagingDirs();
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs), {
      env: { SIDECARS_DEFAULTS_YML: DEFAULTS, VCAP_SERVICES: '{}' },
    });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain(
      '       agent: not staged, no bound service has label "config-service" (when_bound); bind one and restage',
    );
    expect(result.stdout).toContain('       No sidecar is turned on; nothing to install');
    expect(await listTree(join(dirs.depsDir, '0'))).toEqual([]);
  });
});
