/**
 * `cf-local stage` against small script buildpacks written by each test: the calls, their
 * arguments and environment, caches, detection, the release/launch.yml/Procfile order and the
 * lifecycle's failure lines.
 */
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { stage, type StageOptions } from '../../tools/cf-local/index.js';
import { unpackedZipsDir } from '../../tools/cf-local/staging/buildpack-dir.js';
import { canMountReadOnly } from '../../tools/cf-local/staging/run-script.js';
import { tempDir } from '../support/tmp.js';
import { BINARY_BUILDPACK } from '../integration/support/apps.js';

/** A buildpack whose bin/<name> scripts are the given bash bodies. */
async function scriptBuildpack(scripts: Record<string, string>): Promise<string> {
  const dir = await tempDir('script-bp-');
  await mkdir(join(dir, 'bin'));
  for (const [name, body] of Object.entries(scripts)) {
    await writeFile(join(dir, 'bin', name), `#!/usr/bin/env bash\nset -euo pipefail\n${body}\n`);
    await chmod(join(dir, 'bin', name), 0o755);
  }
  return dir;
}

async function appDir(files: Record<string, string> = { Procfile: 'web: ./serve\n' }): Promise<string> {
  const dir = await tempDir('app-');
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/** Records each call as `phase args...` into $RECORD (a file outside the buildpack). */
const record = (phase: string): string => `echo "${phase} $*" >> "${'$'}{RECORD}"`;

async function stageWith(options: Partial<StageOptions> & Pick<StageOptions, 'buildpacks'>) {
  return stage({
    appDir: await appDir(),
    cacheDir: await tempDir('cache-'),
    outDir: await tempDir('staged-'),
    ...options,
  });
}

describe('cf-local stage', () => {
  it('calls supply for every buildpack but the last, then supply + finalize of the last, as the lifecycle does', async () => {
    const log = join(await tempDir('record-'), 'calls');
    const supplyOnly = await scriptBuildpack({
      supply: `${record('supply')}\necho "-----> index $4 MEMORY_LIMIT=$MEMORY_LIMIT CF_STACK=$CF_STACK"\necho "vcap=$VCAP_APPLICATION"`,
    });
    const final = await scriptBuildpack({
      supply: record('supply'),
      finalize: record('finalize'),
      release: 'echo "default_process_types: {web: ./serve}"',
    });
    const outcome = await stageWith({
      buildpacks: [supplyOnly, final],
      env: { RECORD: log },
      stagingMemoryMb: 2048,
    });
    expect(outcome.ok, outcome.log.join('\n')).toBe(true);
    const calls = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    expect(calls.map((c) => [c[0], c.length - 1, c.at(4)])).toEqual([
      ['supply', 4, '0'],
      ['supply', 4, '1'],
      ['finalize', 5, '1'],
    ]);
    // Each supply buildpack has its own cache dir; the final one uses "final".
    expect(calls[0]![2]).not.toBe(calls[1]![2]);
    expect(calls[1]![2]).toMatch(/\/final$/);
    expect(calls[2]![5]).toMatch(/\/profile\.d$/);
    expect(outcome.log).toContain('-----> index 0 MEMORY_LIMIT=2048m CF_STACK=cflinuxfs4');
    const vcap = JSON.parse(outcome.log.find((l) => l.startsWith('vcap='))!.slice(5)) as Record<
      string,
      unknown
    >;
    expect(vcap).not.toHaveProperty('process_type');
    expect(vcap).toMatchObject({ limits: { mem: 2048 } });
  });

  it('keeps each buildpack cache between stagings of the app', async () => {
    const cacheDir = await tempDir('cache-');
    const supply = await scriptBuildpack({
      supply: 'if [ -f "$2/seen" ]; then echo "cache: hit"; else echo "cache: miss"; touch "$2/seen"; fi',
    });
    const first = await stageWith({ buildpacks: [supply, BINARY_BUILDPACK], cacheDir });
    const second = await stageWith({ buildpacks: [supply, BINARY_BUILDPACK], cacheDir });
    expect(first.log).toContain('cache: miss');
    expect(second.log).toContain('cache: hit');
  });

  it('detects with the first buildpack whose detect exits 0, and runs it alone', async () => {
    const never = await scriptBuildpack({ detect: 'exit 1', compile: 'echo never-compiled' });
    const claims = await scriptBuildpack({
      detect: 'echo "Claimer 1.2"',
      compile: 'echo "-----> compiling $# args"',
      release: 'echo "default_process_types: {web: ./serve}"',
    });
    const later = await scriptBuildpack({ detect: 'echo later', compile: 'echo never-compiled' });
    const outcome = await stageWith({ buildpacks: [], systemBuildpacks: [never, claims, later] });
    expect(outcome.ok, outcome.log.join('\n')).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.log).toContain('-----> compiling 2 args');
    expect(outcome.log).not.toContain('never-compiled');
    expect(outcome.result.lifecycle_metadata).toMatchObject({
      detected_buildpack: 'Claimer 1.2',
      buildpacks: [{ key: claims, name: 'Claimer 1.2' }],
    });
  });

  it("uses the final buildpack's launch.yml instead of calling release, then lets the Procfile override", async () => {
    const final = await scriptBuildpack({
      finalize: `cat > "$3/$4/launch.yml" <<'YML'\nprocesses:\n- {type: web, command: from-launch}\n- {type: worker, command: work}\nYML`,
      release: 'echo release-was-called >&2; exit 1',
    });
    const outcome = await stageWith({
      appDir: await appDir({ Procfile: 'worker: from-procfile\n' }),
      buildpacks: [final],
    });
    expect(outcome.ok, outcome.log.join('\n')).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.result.process_types).toEqual({ web: 'from-launch', worker: 'from-procfile' });
    expect(outcome.log).not.toContain('release-was-called');
  });

  it('merges launch.yml across indexes into the result, sidecars with memory', async () => {
    const sidecar = (name: string, memory: number) =>
      `cat > "$3/$4/launch.yml" <<'YML'\nprocesses:\n- type: ${name}\n  command: run-${name}\n  platforms: {cloudfoundry: {sidecar_for: [web]}}\n  limits: {memory: ${memory}}\nYML`;
    const outcome = await stageWith({
      buildpacks: [
        await scriptBuildpack({ supply: sidecar('one', 100) }),
        await scriptBuildpack({ supply: sidecar('two', 200) }),
        BINARY_BUILDPACK,
      ],
    });
    expect(outcome.ok, outcome.log.join('\n')).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.result.sidecars).toEqual([
      { name: 'one', process_types: ['web'], command: 'run-one', memory: 100 },
      { name: 'two', process_types: ['web'], command: 'run-two', memory: 200 },
    ]);
    expect(outcome.result.process_types).toEqual({ web: './serve' });
  });

  it('stages with a zipped buildpack (bin/ inside the only top-level dir)', async () => {
    const zipDir = await tempDir('zip-');
    const zip = join(zipDir, 'binary_buildpack-v1.0.0.zip');
    await execa('zip', ['-qr', zip, 'binary'], { cwd: join(BINARY_BUILDPACK, '..') });
    const outcome = await stageWith({ buildpacks: [zip] });
    expect(outcome.ok, outcome.log.join('\n')).toBe(true);
    expect(outcome.log).toContain('-----> Binary Buildpack version 1.0.0');
  });

  it('writes the droplet laid out as in the container and deletes the staging paths', async () => {
    const final = await scriptBuildpack({
      finalize: 'echo "$3" > "$1/staging-deps-dir"; echo "export X=1" > "$5/x.sh"',
      release: 'echo "default_process_types: {web: ./serve}"',
    });
    const outcome = await stageWith({ buildpacks: [final] });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const droplet = join(outcome.stagedDir, 'droplet');
    expect(await readFile(join(droplet, 'profile.d', 'x.sh'), 'utf8')).toBe('export X=1\n');
    const stagingDeps = (await readFile(join(droplet, 'app', 'staging-deps-dir'), 'utf8')).trim();
    await expect(stat(stagingDeps)).rejects.toThrow('ENOENT');
    expect(JSON.parse(await readFile(join(droplet, 'staging_info.yml'), 'utf8'))).toEqual({
      detected_buildpack: '',
      start_command: './serve',
    });
  });

  describe('failure cases', () => {
    it('fails when a non-final buildpack has no bin/supply, with the lifecycle message', async () => {
      const compileOnly = await scriptBuildpack({ compile: 'true' });
      const outcome = await stageWith({ buildpacks: [compileOnly, BINARY_BUILDPACK] });
      expect(outcome.ok).toBe(false);
      expect(outcome.log.at(-1)).toBe(
        'Error: one of the buildpacks chosen to supply dependencies does not support multi-buildpack apps',
      );
    });

    it('fails when no buildpack detects the app', async () => {
      const outcome = await stageWith({
        buildpacks: [],
        systemBuildpacks: [await scriptBuildpack({ detect: 'exit 1' })],
      });
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.failure.exitCode).toBe(222);
      expect(outcome.log.at(-1)).toBe('None of the buildpacks detected a compatible application');
    });

    it('ends the log with the wrapped finalize failure and keeps the buildpack output before it', async () => {
      const final = await scriptBuildpack({
        finalize: 'echo "**ERROR** something the user can fix"; exit 7',
      });
      const outcome = await stageWith({ buildpacks: [final] });
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.log.slice(-2)).toEqual([
        '**ERROR** something the user can fix',
        'Failed to compile droplet: Failed to run finalize script: exit status 7',
      ]);
      expect(outcome.failure.exitCode).toBe(223);
    });

    it('warns when the last buildpack only has compile while supply buildpacks ran', async () => {
      const supply = await scriptBuildpack({ supply: 'true' });
      const compile = await scriptBuildpack({
        compile: 'true',
        release: 'echo "default_process_types: {web: x}"',
      });
      const outcome = await stageWith({ buildpacks: [supply, compile] });
      expect(outcome.log).toContain(
        'Warning: the last buildpack is not compatible with multi-buildpack apps and cannot make use of any dependencies supplied by the buildpacks specified before it',
      );
    });

    it('fails on a launch.yml memory such as "256M", as the lifecycle does', async () => {
      const supply = await scriptBuildpack({
        supply: `cat > "$3/$4/launch.yml" <<'YML'\nprocesses:\n- type: s\n  command: s\n  platforms: {cloudfoundry: {sidecar_for: [web]}}\n  limits: {memory: 256M}\nYML`,
      });
      const outcome = await stageWith({ buildpacks: [supply, BINARY_BUILDPACK] });
      expect(outcome.ok).toBe(false);
      expect(outcome.log.at(-1)).toContain('cannot unmarshal !!str `256M` into int');
    });

    it("refuses sidecars that need all of the process's memory, as Cloud Controller does", async () => {
      const supply = await scriptBuildpack({
        supply: `cat > "$3/$4/launch.yml" <<'YML'\nprocesses:\n- type: big\n  command: s\n  platforms: {cloudfoundry: {sidecar_for: [web]}}\n  limits: {memory: 1024}\nYML`,
      });
      const outcome = await stageWith({ buildpacks: [supply, BINARY_BUILDPACK], processMemoryMb: 1024 });
      expect(outcome.ok).toBe(false);
      expect(outcome.log.at(-1)).toBe(
        'The memory allocation defined is too large to run with the dependent "web" process',
      );
    });
  });

  it("sets the platform's variables after the app's env, as Cloud Controller does", async () => {
    const final = await scriptBuildpack({
      supply: 'echo "seen MEMORY_LIMIT=$MEMORY_LIMIT CF_STACK=$CF_STACK MINE=$MINE"',
      finalize: 'true',
      release: "echo 'default_process_types: {web: ./serve}'",
    });
    const outcome = await stageWith({
      buildpacks: [final],
      env: { MEMORY_LIMIT: '4096m', CF_STACK: 'other', MINE: 'kept' },
      stagingMemoryMb: 1024,
    });
    expect(outcome.log).toContain('seen MEMORY_LIMIT=1024m CF_STACK=cflinuxfs4 MINE=kept');
  });

  it('refuses app env vars named VCAP_* or PORT, as Cloud Controller does', async () => {
    const { parseArgs } = await import('../../tools/cf-local/args.js');
    for (const name of ['VCAP_APPLICATION', 'PORT'])
      expect(() => parseArgs(['stage', '.', '-b', 'x', '--env', `${name}=1`])).toThrow(
        `--env ${name}: Cloud Controller refuses user environment variables named VCAP_* or PORT`,
      );
  });
});

describe('cf-local stage: the buildpack dir as a cell has it', () => {
  it('mounts a buildpack read-only for its scripts, where the machine allows it', async (context) => {
    if (!canMountReadOnly()) context.skip('no mount namespaces here (not root)');
    const writes = await scriptBuildpack({
      supply: 'touch "$(dirname "$0")/../written" && echo wrote || echo "read-only: $(dirname "$0")"',
      finalize: 'true',
      release: 'echo "default_process_types: {web: ./serve}"',
    });
    const outcome = await stageWith({ buildpacks: [writes] });
    expect(outcome.ok, outcome.log.join('\n')).toBe(true);
    expect(outcome.log.some((l) => l.startsWith('read-only: '))).toBe(true);
    expect(await stat(join(writes, 'written')).catch(() => undefined)).toBeUndefined();
  });

  it('unpacks a zip once and reuses it for later stagings, as the executor does', async () => {
    const source = await scriptBuildpack({
      supply: 'echo "buildpack dir: $(cd "$(dirname "$0")/.." && pwd)"',
      finalize: 'true',
      release: 'echo "default_process_types: {web: ./serve}"',
    });
    const zip = join(await tempDir('zip-'), 'bp.zip');
    await execa('zip', ['-qr', zip, '.'], { cwd: source });
    const dirs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const outcome = await stageWith({ buildpacks: [zip] });
      expect(outcome.ok, outcome.log.join('\n')).toBe(true);
      dirs.push(outcome.log.find((l) => l.startsWith('buildpack dir: ')) ?? '');
    }
    expect(dirs[0]).toMatch(new RegExp(`^buildpack dir: ${unpackedZipsDir()}/`));
    expect(dirs[1]).toBe(dirs[0]);
  });
});
