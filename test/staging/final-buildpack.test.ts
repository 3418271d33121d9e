/** detect, finalize and release: this buildpack as the last (or only) one. */
import { readFile, readdir, writeFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { LaunchYml } from '../../src/launch/launch-types.js';
import { FIXTURES, tutorialBuildpackForFile } from '../support/buildpack.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';
import { tempDir } from '../support/tmp.js';

const APP = join(FIXTURES, 'apps', 'config-server-app');
const setup = tutorialBuildpackForFile();

describe('detect', () => {
  it('claims an app with sidecars.yml and a Procfile', async () => {
    const result = await runPhase(setup.buildpack, 'detect', [(await stagingDirs(APP)).buildDir]);
    expect([result.exitCode, result.stdout]).toEqual([0, 'sidecar']);
  });

  it('leaves an app with sidecars.yml but no start command to its language buildpack', async () => {
    const dirs = await stagingDirs();
    await writeFile(join(dirs.buildDir, 'sidecars.yml'), 'sidecars: []\n');
    await writeFile(join(dirs.buildDir, 'pom.xml'), '<project/>');
    const result = await runPhase(setup.buildpack, 'detect', [dirs.buildDir], { env: { BP_DEBUG: '1' } });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no start command');
  });

  it('does not claim an app without sidecar config', async () => {
    const dirs = await stagingDirs();
    await writeFile(join(dirs.buildDir, 'Procfile'), 'web: ./run\n');
    expect((await runPhase(setup.buildpack, 'detect', [dirs.buildDir])).exitCode).toBe(1);
  });

  // bin/detect answers the common shapes without Node.js; for each, the bundle's detect (which
  // answers whatever the shim hands on) must agree, or auto-detection would depend on the path.
  it.each([
    ['Procfile web, valid sidecars.yml', { Procfile: 'web: ./run\n', 'sidecars.yml': 'sidecars: []\n' }, 0],
    ['Procfile web, invalid sidecars.yml', { Procfile: 'web: ./run\n', 'sidecars.yml': 'sidecars: 3\n' }, 0],
    [
      'Procfile web with CRLF',
      { Procfile: 'worker: x\r\nweb:./run\r\n', 'sidecars.yaml': 'sidecars: []\n' },
      0,
    ],
    ['Procfile web without a command', { Procfile: 'web:   \n', 'sidecars.yml': 'sidecars: []\n' }, 1],
    ['Procfile without web', { Procfile: 'worker: ./w\n', 'sidecars.yml': 'sidecars: []\n' }, 1],
    [
      'Procfile without web, command in sidecars.yml',
      { Procfile: 'worker: ./w\n', 'sidecars.yml': 'command: ./run\n' },
      0,
    ],
    [
      'Procfile over 64 KiB',
      { Procfile: `web: ./run\n${'#'.repeat(70_000)}\n`, 'sidecars.yml': 'sidecars: []\n' },
      1,
    ],
    [
      'Procfile a link to a Procfile in the app',
      { 'real-Procfile': 'web: ./run\n', Procfile: '->real-Procfile', 'sidecars.yml': 'sidecars: []\n' },
      0,
    ],
    ['no Procfile, plain sidecars.yml', { 'sidecars.yml': 'sidecars:\n  - name: a\n' }, 1],
    ['no Procfile, command in sidecars.yml', { 'sidecars.yml': 'command: ./run\nsidecars: []\n' }, 0],
    ['no Procfile, flow-style sidecars.yml with a command', { 'sidecars.yml': '{command: ./run}\n' }, 0],
    ['Procfile web, no sidecar config', { Procfile: 'web: ./run\n' }, 1],
  ] as const)('shim and bundle agree: %s', async (_shape, files: Record<string, string>, expected) => {
    const dirs = await stagingDirs();
    for (const [name, text] of Object.entries(files))
      if (text.startsWith('->')) await symlink(text.slice(2), join(dirs.buildDir, name));
      else await writeFile(join(dirs.buildDir, name), text);
    const shim = await runPhase(setup.buildpack, 'detect', [dirs.buildDir]);
    const bundle = await execa(
      process.execPath,
      [join(setup.buildpack, 'dist', 'sidecar-buildpack.cjs'), 'detect', dirs.buildDir],
      {
        reject: false,
      },
    );
    expect([shim.exitCode, shim.stdout], shim.all).toEqual([expected, expected === 0 ? 'sidecar' : '']);
    expect([bundle.exitCode, bundle.stdout], bundle.stderr).toEqual([
      expected,
      expected === 0 ? 'sidecar' : '',
    ]);
  });

  it('claims an app configured only through SIDECARS_YML with a command', async () => {
    const dirs = await stagingDirs();
    const result = await runPhase(setup.buildpack, 'detect', [dirs.buildDir], {
      env: { SIDECARS_YML: 'command: ./run\nsidecars: []\n' },
    });
    expect(result.exitCode).toBe(0);
  });
});

describe('finalize and release', () => {
  it('adds the web process from the Procfile next to the sidecars and copies supply profile.d scripts', async () => {
    const dirs = await stagingDirs(APP, 2);
    await mkdir(join(dirs.depsDir, '0', 'profile.d'), { recursive: true });
    await writeFile(join(dirs.depsDir, '0', 'profile.d', 'other.sh'), 'export OTHER=1\n');
    expect((await runPhase(setup.buildpack, 'supply', supplyArgs(dirs, 1))).exitCode).toBe(0);
    const profileDir = join(await tempDir(), 'profile.d');
    const result = await runPhase(setup.buildpack, 'finalize', [...supplyArgs(dirs, 1), profileDir]);
    expect(result.exitCode, result.all).toBe(0);
    const launch = parse(await readFile(join(dirs.depsDir, '1', 'launch.yml'), 'utf8')) as LaunchYml;
    expect(launch.processes.map((p) => p.type)).toEqual(['web', 'config-server']);
    expect(launch.processes[0]).toEqual({ type: 'web', command: 'python3 app.py' });
    // The memory guard supply wrote to DEPS_DIR/1/profile.d is copied too (src/runtime/profile.sh).
    expect(await readdir(profileDir)).toEqual(['000_other.sh', '001_sidecar_buildpack.sh']);
  });

  it('keeps sidecars named like Object.prototype properties and an env var named __proto__', async () => {
    const dirs = await stagingDirs();
    await writeFile(join(dirs.buildDir, 'Procfile'), 'web: ./run\n');
    await writeFile(
      join(dirs.buildDir, 'sidecars.yml'),
      [
        'sidecars:',
        '  - {name: constructor, command: ./c, memory: 16M, env: {__proto__: kept, B: b}}',
        '  - {name: toString, command: ./t, memory: 16M, process_types: [web, valueOf]}',
      ].join('\n'),
    );
    const supplied = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
    expect(supplied.exitCode, supplied.all).toBe(0);
    const result = await runPhase(setup.buildpack, 'finalize', [
      ...supplyArgs(dirs),
      join(dirs.buildDir, '..', 'profile.d'),
    ]);
    expect(result.exitCode, result.all).toBe(0);
    const launch = parse(await readFile(join(dirs.depsDir, '0', 'launch.yml'), 'utf8')) as LaunchYml;
    expect(launch.processes.map((p) => p.type)).toEqual(['web', 'constructor', 'toString']);
    expect(launch.processes[1]?.command).toContain("export B='b' __proto__='kept'");
    const runtime = JSON.parse(
      await readFile(join(dirs.depsDir, '0', 'sidecar_runtime', 'runtime.json'), 'utf8'),
    ) as { processTypes: Record<string, { sidecars: string[] }> };
    expect(runtime.processTypes.valueOf).toEqual({ sidecarMemoryMb: 16, sidecars: ['toString'] });
  });

  it('refuses a sidecar named like one of the app’s process types instead of dropping it', async () => {
    const dirs = await stagingDirs();
    await writeFile(join(dirs.buildDir, 'Procfile'), 'web: ./run\nworker: ./work\n');
    await writeFile(
      join(dirs.buildDir, 'sidecars.yml'),
      'sidecars:\n  - {name: worker, command: ./w, memory: 16M}\n',
    );
    const supplied = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
    expect(supplied.exitCode, supplied.all).toBe(0);
    const result = await runPhase(setup.buildpack, 'finalize', [
      ...supplyArgs(dirs),
      join(dirs.buildDir, '..', 'profile.d'),
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '**ERROR** sidecars.yml: name: sidecar "worker" has the name of the app\'s process type "worker": launch.yml names both by it, and one would replace the other',
    );
  });

  it('uses the top-level command of sidecars.yml without a Procfile', async () => {
    const dirs = await stagingDirs();
    await writeFile(
      join(dirs.buildDir, 'sidecars.yml'),
      'command: ./my-binary --port "$PORT"\nsidecars: []\n',
    );
    expect(
      (
        await runPhase(setup.buildpack, 'finalize', [
          ...supplyArgs(dirs),
          join(dirs.buildDir, '..', 'profile.d'),
        ])
      ).exitCode,
    ).toBe(0);
    const launch = parse(await readFile(join(dirs.depsDir, '0', 'launch.yml'), 'utf8')) as LaunchYml;
    expect(launch.processes).toEqual([{ type: 'web', command: './my-binary --port "$PORT"' }]);
    const release = await runPhase(setup.buildpack, 'release', [dirs.buildDir]);
    expect(parse(release.stdout)).toEqual({ default_process_types: { web: './my-binary --port "$PORT"' } });
  });

  it('fails finalize with advice when the app has no start command', async () => {
    const dirs = await stagingDirs();
    await writeFile(join(dirs.buildDir, 'sidecars.yml'), 'sidecars: []\n');
    const result = await runPhase(setup.buildpack, 'finalize', supplyArgs(dirs));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('**ERROR** Procfile: the app has no start command');
    expect(result.stdout).toContain('cf push -b sidecar_buildpack -b java_buildpack');
  });

  it('fails release, with the way to push, when the app declares sidecars (the lifecycle skipped our launch.yml)', async () => {
    // The lifecycle calls release only when it did not read the final buildpack's launch.yml:
    // under auto-detection among several buildpacks the sidecars would silently vanish.
    const dirs = await stagingDirs(APP);
    const result = await runPhase(setup.buildpack, 'release', [dirs.buildDir]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      "       **ERROR** sidecars.yml declares 1 sidecar(s), but Cloud Foundry did not read this buildpack's launch.yml and would start the app without them",
    );
    expect(result.stderr).toContain('cf push APP -b sidecar_buildpack -b binary_buildpack');
  });
});
