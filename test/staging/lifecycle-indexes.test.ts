/**
 * Where the lifecycle looks for launch.yml (cf-contract section 7), and the other buildpacks'
 * launch.yml files supply reads: bin/supply run as the lifecycle runs it.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { RuntimeJson } from '../../src/runtime/runtime-types.js';
import { FIXTURES, tutorialBuildpackForFile } from '../support/buildpack.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';

const APP = join(FIXTURES, 'apps', 'config-server-app');
const setup = tutorialBuildpackForFile();

describe('ten or more buildpacks', () => {
  it('writes launch.yml to the unpadded deps dir too, where the lifecycle reads it', async () => {
    // 11 buildpacks: the lifecycle names deps dirs 00..10 and reads deps/9/launch.yml for index 09.
    const dirs = await stagingDirs(APP, 0);
    for (let i = 0; i <= 10; i++)
      await mkdir(join(dirs.depsDir, String(i).padStart(2, '0')), { recursive: true });
    await writeFile(
      join(dirs.depsDir, '03', 'launch.yml'),
      JSON.stringify({
        processes: [
          { type: 'worker', command: 'run worker' },
          {
            type: 'agent',
            command: 'exec ./agent',
            platforms: { cloudfoundry: { sidecar_for: ['web'] } },
            limits: { memory: 16 },
          },
        ],
      }),
    );
    const args = [dirs.buildDir, dirs.cacheDir, dirs.depsDir, '09'];
    const result = await runPhase(setup.buildpack, 'supply', args);
    expect(result.exitCode, result.all).toBe(0);
    const padded = await readFile(join(dirs.depsDir, '09', 'launch.yml'), 'utf8');
    expect(await readFile(join(dirs.depsDir, '9', 'launch.yml'), 'utf8')).toBe(padded);
    expect(padded).toContain('$DEPS_DIR/09/sidecars/config-server');
    expect(result.stdout).toContain(
      'INDEX 09 is zero-padded (10 or more buildpacks): launch.yml is written to deps/9 too, where the lifecycle reads it',
    );
    // The lifecycle never reads deps/03: its sidecar is declared again in ours, and what
    // cannot be (a process type) is named as lost.
    expect(result.stdout).toContain(
      "       Sidecar agent of the buildpack at deps/03 runs beside web (16M): the lifecycle never reads deps/03/launch.yml (zero-padded, 10 or more buildpacks), so it is declared again in this buildpack's launch.yml",
    );
    expect(result.stdout).toContain(
      '       **WARNING** deps/03/launch.yml: the Cloud Foundry lifecycle never reads these with 10 or more buildpacks (zero-padded index); lost: process type worker.',
    );
    expect(padded).toMatch(/- type: agent\n {4}command: exec \.\/agent\n/);
    const runtime = JSON.parse(
      await readFile(join(dirs.depsDir, '09', 'sidecar_runtime', 'runtime.json'), 'utf8'),
    );
    expect(runtime.otherSidecars).toEqual([
      expect.objectContaining({ name: 'agent', command: 'exec ./agent' }),
    ]);
  });

  it('writes no copy below ten buildpacks', async () => {
    const dirs = await stagingDirs(APP, 2);
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs, 1));
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).not.toContain('zero-padded');
    expect((await readdir(dirs.depsDir)).sort()).toEqual(['0', '1']);
  });
});

describe("other buildpacks' sidecars", () => {
  it('counts a sidecar declared by the buildpack before this one, and records its command', async () => {
    const dirs = await stagingDirs(APP, 2);
    const agent = await runPhase(join(FIXTURES, 'buildpacks', 'agent-supply'), 'supply', supplyArgs(dirs, 0));
    expect(agent.exitCode, agent.all).toBe(0);
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs, 1));
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain(
      "Sidecar agent of the buildpack at deps/0 runs beside web, worker (16M): counted in the memory guard's reservation",
    );
    expect(result.stdout).toContain('Process type web: sidecars reserve 80M');
    const runtimeDir = join(dirs.depsDir, '1', 'sidecar_runtime');
    const runtime = JSON.parse(await readFile(join(runtimeDir, 'runtime.json'), 'utf8')) as RuntimeJson;
    const launch = parse(await readFile(join(dirs.depsDir, '0', 'launch.yml'), 'utf8')) as {
      processes: { command: string }[];
    };
    const command = launch.processes[0]?.command as string;
    expect(runtime.otherSidecars).toEqual([
      { name: 'agent', depsIdx: '0', processTypes: ['web', 'worker'], memoryMb: 16, command },
    ]);
    expect(await readFile(join(runtimeDir, 'other-sidecars.cmd'), 'utf8')).toBe(`agent\0${command}\0`);
    expect(await readFile(join(runtimeDir, 'process-types', 'web.tsv'), 'utf8')).toBe('memory\t80\n');
    expect(await readFile(join(runtimeDir, 'process-types', 'worker.tsv'), 'utf8')).toBe('memory\t16\n');
  });
});
