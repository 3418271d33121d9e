/**
 * The Java memory guard, run as the launcher runs it: profile.d sourced with $1/$2 set, before
 * the app's start command, which here prints the MEMORY_LIMIT it sees.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRuntimeJson } from '../../src/runtime/runtime-config.js';
import {
  launch,
  LAUNCHER_SCRIPT,
  makeDroplet,
  MiB,
  setCgroupLimit,
  sidecarLaunchCommand,
  guardLines,
} from './launcher.js';

const RUNTIME = buildRuntimeJson([
  { name: 'config-server', processTypes: ['web'], memoryMb: 192 },
  { name: 'agent', processTypes: ['web', 'worker'], memoryMb: 64 },
]);
const SHOW = 'echo "MEMORY_LIMIT=$MEMORY_LIMIT"';

describe('memory guard', () => {
  it('lowers MEMORY_LIMIT by the sidecars when the platform did not (older Cloud Controller)', async () => {
    const droplet = await makeDroplet(RUNTIME);
    await setCgroupLimit(droplet, String(1024 * MiB));
    const result = await launch(droplet, SHOW, { memoryLimit: '1024m' });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain('MEMORY_LIMIT=768m');
    expect(guardLines(result.all)).toEqual([
      "[sidecar-buildpack] memory guard: MEMORY_LIMIT 1024m -> 768m: reserved 256M for the sidecars of 'web' (container limit 1024M; the platform had not reserved it)",
    ]);
  });

  it('leaves MEMORY_LIMIT alone when the platform already subtracted the sidecars', async () => {
    const droplet = await makeDroplet(RUNTIME);
    await setCgroupLimit(droplet, String(1024 * MiB));
    const result = await launch(droplet, SHOW, { memoryLimit: '768m' });
    expect(result.stdout).toContain('MEMORY_LIMIT=768m');
    expect(guardLines(result.all)).toEqual([
      "[sidecar-buildpack] memory guard: MEMORY_LIMIT 768m unchanged: the platform already reserved 256M for the sidecars of 'web' (container limit 1024M)",
    ]);
  });

  it('reads the cgroup v1 limit', async () => {
    const droplet = await makeDroplet(RUNTIME);
    await setCgroupLimit(droplet, String(2048 * MiB), 1);
    const result = await launch(droplet, SHOW, { memoryLimit: '2g' });
    expect(result.stdout).toContain('MEMORY_LIMIT=1792m');
  });

  it("finds the limit at the process's own cgroup path from /proc/self/cgroup", async () => {
    const droplet = await makeDroplet(RUNTIME);
    const procCgroup = join(droplet.home, 'proc-self-cgroup');
    await writeFile(procCgroup, '0::/garden/instance-1\n');
    await setCgroupLimit(droplet, 'max');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(droplet.cgroupRoot, 'garden', 'instance-1'), { recursive: true });
    await writeFile(join(droplet.cgroupRoot, 'garden', 'instance-1', 'memory.max'), `${1024 * MiB}\n`);
    const result = await launch(droplet, SHOW, { env: { SIDECAR_BP_PROC_CGROUP: procCgroup } });
    expect(result.stdout).toContain('MEMORY_LIMIT=768m');
  });

  it('never guesses when the container limit is unknown or unlimited', async () => {
    for (const limit of [undefined, 'max', '9223372036854771712']) {
      const droplet = await makeDroplet(RUNTIME);
      if (limit) await setCgroupLimit(droplet, limit, limit === 'max' ? 2 : 1);
      const result = await launch(droplet, SHOW);
      expect(result.stdout).toContain('MEMORY_LIMIT=1024m');
      expect(guardLines(result.all)).toEqual([
        expect.stringContaining(
          "container memory limit unreadable, cannot tell whether the platform reserved the 256M of 'web' sidecars; MEMORY_LIMIT 1024m left alone",
        ),
      ]);
    }
  });

  it("leaves a sidecar's launch untouched", async () => {
    const droplet = await makeDroplet(RUNTIME);
    await setCgroupLimit(droplet, String(1024 * MiB));
    const result = await launch(droplet, sidecarLaunchCommand('config-server', SHOW), {
      memoryLimit: '192m',
    });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain('MEMORY_LIMIT=192m');
    expect(guardLines(result.all)).toEqual([
      "[sidecar-buildpack] memory guard: a sidecar's launch in process type 'web'; MEMORY_LIMIT 192m left alone",
    ]);
    expect(await readdir(droplet.tmpDir)).toEqual([]);
  });

  it('leaves a task untouched (no process_type in VCAP_APPLICATION)', async () => {
    const droplet = await makeDroplet(RUNTIME);
    await setCgroupLimit(droplet, String(1024 * MiB));
    const result = await launch(droplet, SHOW, { processType: undefined });
    expect(result.stdout).toContain('MEMORY_LIMIT=1024m');
    expect(guardLines(result.all)).toEqual([
      '[sidecar-buildpack] memory guard: no process_type in VCAP_APPLICATION (a task); MEMORY_LIMIT 1024m left alone',
    ]);
  });

  it('leaves a process type without sidecars alone', async () => {
    const droplet = await makeDroplet(RUNTIME);
    await setCgroupLimit(droplet, String(1024 * MiB));
    const worker = await launch(droplet, SHOW, { processType: 'worker' });
    expect(worker.stdout).toContain('MEMORY_LIMIT=960m');
    const clock = await launch(droplet, SHOW, { processType: 'clock' });
    expect(clock.stdout).toContain('MEMORY_LIMIT=1024m');
    expect(guardLines(clock.all)).toEqual([
      "[sidecar-buildpack] memory guard: no sidecars with memory run beside process type 'clock'; MEMORY_LIMIT 1024m unchanged",
    ]);
  });

  it('runs once when both copies are sourced (libbuildpack ../profile.d and the app .profile.d)', async () => {
    const droplet = await makeDroplet(RUNTIME, { libbuildpackCopy: true });
    await setCgroupLimit(droplet, String(1024 * MiB));
    const result = await launch(droplet, SHOW);
    expect(result.stdout).toContain('MEMORY_LIMIT=768m');
    expect(guardLines(result.all)).toHaveLength(1);
  });

  it('never subtracts twice, even when sourced again in a child shell', async () => {
    const droplet = await makeDroplet(RUNTIME);
    await setCgroupLimit(droplet, String(1024 * MiB));
    const again = `bash -c 'source .profile.d/sidecar_buildpack.sh "$PWD" x; ${SHOW}'`;
    const result = await launch(droplet, again);
    expect(result.stdout).toContain('MEMORY_LIMIT=768m');
    expect(guardLines(result.all)).toEqual([
      expect.stringContaining('MEMORY_LIMIT 1024m -> 768m'),
      expect.stringContaining('MEMORY_LIMIT 768m unchanged: the platform already reserved 256M'),
    ]);
  });

  it('is set -eu safe and leaves no functions or variables behind', async () => {
    const droplet = await makeDroplet(RUNTIME);
    await setCgroupLimit(droplet, String(1024 * MiB));
    const strict = `set -eu\n${LAUNCHER_SCRIPT.replace('exec bash -c "$@"', 'declare -F | grep -c sidecar_bp || true; ( set -o posix; set ) | grep -c "^sidecar_bp" || true; exec bash -c "$@"')}`;
    for (const processType of ['web', undefined]) {
      const result = await launch(droplet, SHOW, { launcherScript: strict, processType });
      expect(result.exitCode, result.all).toBe(0);
      expect(result.all).not.toMatch(/unbound variable/);
      expect(result.stdout.split('\n').slice(-3)).toEqual([
        '0',
        '0',
        expect.stringMatching(/^MEMORY_LIMIT=/),
      ]);
    }
  });
});
