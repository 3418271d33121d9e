/**
 * Sidecars that fail alone: supervise.sh restarts a sidecar in place (restart:), stops it over
 * its memory (over_memory:), makes it the OOM victim and runs it at a lower CPU priority
 * (priority:), and keeps its state for the `sidecars` command. Real processes through the
 * launcher, real signals, real /proc.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { SidecarRuntimeOptions } from '../../src/config/runtime-options-types.js';
import { shellQuote } from '../../src/launch/shell-quote.js';
import { freePort } from '../support/net.js';
import { tempDir } from '../support/tmp.js';
import {
  launch,
  LIFECYCLE_SHELL_SCRIPT,
  readEvents,
  serveCommand,
  supervisedSidecar,
  until,
  type Droplet,
} from './launcher.js';

const NAME = 'agent';
const onFailure = (maxRestarts = 5, withinSeconds = 600): SidecarRuntimeOptions => ({
  restart: { policy: 'on-failure', maxRestarts, withinSeconds },
});

/** Seconds (fractional) at which a sidecar that appends `date +%s.%N` to `file` started. */
async function starts(file: string): Promise<number[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
}

/** A bash sidecar that notes each start in `file`, then runs `rest`. */
function noting(file: string, rest: string): string {
  return `date +%s.%N >> ${shellQuote(file)}; ${rest}`;
}

/** The state file the supervisor keeps, as key=value pairs. */
async function state(droplet: Droplet): Promise<Record<string, string>> {
  const text = await readFile(join(droplet.tmpDir, 'sidecar-buildpack-state', NAME), 'utf8').catch(() => '');
  return Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.split('=')[0], l.slice(l.indexOf('=') + 1)]),
  );
}

/** `sidecars --json` run as from a bare cf ssh: the stable path in the app, no TMPDIR. */
async function sidecarsJson(droplet: Droplet): Promise<Record<string, unknown>[]> {
  const run = await execa(join(droplet.appDir, '.sidecar_buildpack', 'bin', 'sidecars'), ['--json'], {
    extendEnv: false,
    env: { PATH: process.env.PATH, VCAP_APPLICATION: JSON.stringify({ process_type: 'web' }) },
  });
  return JSON.parse(run.stdout) as Record<string, unknown>[];
}

/** Field `index` (0 = state) of /proc/PID/stat after the command name. */
async function statField(pid: number, index: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[index] as string;
}

const lines = (output: string) =>
  output.split('\n').filter((l) => l.startsWith(`[sidecar-buildpack] ${NAME}:`));

describe('restart: in place', () => {
  it('restarts a failing sidecar with a growing back-off, then spends the budget and exits with its status', async () => {
    const file = join(await tempDir('starts-'), 'starts');
    const { droplet, command } = await supervisedSidecar(NAME, noting(file, 'sleep 0.2; exit 3'), {
      runtime: onFailure(3, 60),
    });
    const result = await launch(droplet, command);
    expect(result.exitCode).toBe(3);
    expect(lines(result.stderr)).toEqual([
      `[sidecar-buildpack] ${NAME}: exited with status 3 (failed); restart 1 of 3 within 1m, in 1s`,
      `[sidecar-buildpack] ${NAME}: exited with status 3 (failed); restart 2 of 3 within 1m, in 2s`,
      `[sidecar-buildpack] ${NAME}: exited with status 3 (failed); restart 3 of 3 within 1m, in 4s`,
      `[sidecar-buildpack] ${NAME}: **ERROR** exited with status 3 (failed) after 3 restarts within 1m; exiting with its status so that Cloud Foundry restarts the container`,
    ]);
    const at = await starts(file);
    expect(at).toHaveLength(4);
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number) - 0.2);
    console.log(`back-off gaps: ${gaps.map((g) => g.toFixed(2)).join(', ')} s`);
    [1, 2, 4].forEach((delay, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(delay - 0.05);
      expect(gaps[i]).toBeLessThan(delay + 0.8);
    });
    expect(await state(droplet)).toMatchObject({
      state: 'stopped',
      restarts: '3',
      last_exit: '3',
      last_reason: 'failed',
    });
  });

  it('starts the back-off again at its first step after the sidecar has run well for a while', async () => {
    const file = join(await tempDir('starts-'), 'starts');
    const { droplet, command } = await supervisedSidecar(NAME, noting(file, 'sleep 1.2; exit 1'), {
      runtime: onFailure(3, 60),
      tweak: (s) => (s.restart.backoff = { initialSeconds: 1, maxSeconds: 8, resetAfterSeconds: 1 }),
    });
    const result = await launch(droplet, command);
    expect(result.exitCode).toBe(1);
    expect(lines(result.stderr).filter((l) => l.includes(', in 1s'))).toHaveLength(3);
  });

  it('restarts a sidecar killed with kill -9 in place: the supervisor stays, the status says why', async () => {
    const port = await freePort();
    const events = join(await tempDir('events-'), 'events');
    const { droplet, command } = await supervisedSidecar(
      NAME,
      serveCommand({ EVENTS_FILE: events, LISTEN_PORT: port }),
      { runtime: onFailure() },
    );
    const run = launch(droplet, command);
    await until(async () => (await readEvents(events)).length === 1, 10_000, 'listening');
    const first = Number((await state(droplet)).pid);
    expect(first).toBeGreaterThan(0);
    expect(await statField(first, 0)).not.toBe('Z');
    // The sidecar is the OOM victim; its supervisor is not.
    expect((await readFile(`/proc/${first}/oom_score_adj`, 'utf8')).trim()).toBe('1000');
    expect((await readFile(`/proc/${run.pid}/oom_score_adj`, 'utf8')).trim()).not.toBe('1000');

    process.kill(first, 'SIGKILL');
    await until(async () => (await readEvents(events)).length === 2, 10_000, 'listening again');
    const now = await state(droplet);
    expect(now).toMatchObject({
      state: 'running',
      restarts: '1',
      last_exit: '137',
      last_reason: 'killed by SIGKILL',
    });
    expect(Number(now.pid)).not.toBe(first);
    expect(run.exitCode).toBeNull();

    const [status] = await sidecarsJson(droplet);
    expect(status).toMatchObject({
      name: NAME,
      state: 'running',
      pid: Number(now.pid),
      restarts: 1,
      last_exit: { status: 137, reason: 'killed by SIGKILL' },
      memory_limit_mb: 64,
      health: 'none',
      restart: { policy: 'on-failure', max_restarts: 5, within_seconds: 600 },
    });
    expect(status?.memory_mb).toBeGreaterThan(5);

    process.kill(run.pid as number, 'SIGTERM');
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(
      `[sidecar-buildpack] ${NAME}: exited with status 137 (killed by SIGKILL); restart 1 of 5 within 10m, in 1s`,
    );
    expect((await sidecarsJson(droplet))[0]).toMatchObject({ state: 'stopped', pid: null });
  });

  it('restarts a sidecar that fails its health check, instead of ending the container', async () => {
    const port = await freePort();
    const events = join(await tempDir('events-'), 'events');
    const healthFile = join(await tempDir('health-'), 'status');
    await writeFile(healthFile, '503');
    const { droplet, command } = await supervisedSidecar(
      NAME,
      serveCommand({ EVENTS_FILE: events, LISTEN_PORT: port, HEALTH_FILE: healthFile }),
      {
        runtime: {
          ...onFailure(),
          health: {
            probe: { kind: 'http', url: `http://127.0.0.1:${port}/health` },
            intervalSeconds: 1,
            timeoutSeconds: 1,
            failureThreshold: 2,
            startPeriodSeconds: 0,
          },
        },
      },
    );
    const run = launch(droplet, command);
    await until(
      async () => (await readEvents(events)).filter((e) => e.event === 'listening').length === 2,
      15_000,
      'restart',
    );
    await writeFile(healthFile, '200');
    await until(async () => (await state(droplet)).state === 'ready', 10_000, 'ready');
    expect(await state(droplet)).toMatchObject({ health: 'passing', restarts: '1' });
    process.kill(run.pid as number, 'SIGTERM');
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(
      `[sidecar-buildpack] ${NAME}: exited with status 0 (stopped: health check failed 2 times in a row); restart 1 of 5 within 10m, in 1s`,
    );
    expect(result.stderr).not.toContain('so that Cloud Foundry restarts the container');
  });

  it('leaves a clean exit stopped under on-failure, and restarts it under always', async () => {
    const file = join(await tempDir('starts-'), 'starts');
    const quiet = await supervisedSidecar(NAME, noting(file, 'exit 0'), { runtime: onFailure() });
    const run = launch(quiet.droplet, quiet.command);
    await until(async () => (await state(quiet.droplet)).state === 'stopped', 5000, 'stopped');
    expect(run.exitCode).toBeNull();
    process.kill(run.pid as number, 'SIGTERM');
    expect((await run).exitCode).toBe(0);
    expect(await starts(file)).toHaveLength(1);

    const again = join(await tempDir('starts-'), 'starts');
    const always = await supervisedSidecar(NAME, noting(again, 'exit 0'), {
      runtime: { restart: { policy: 'always', maxRestarts: 1, withinSeconds: 60 } },
    });
    const result = await launch(always.droplet, always.command);
    expect(await starts(again)).toHaveLength(2);
    expect(result.stderr).toContain(
      'exited with status 0 (exited by itself); restart 1 of 1 within 1m, in 1s',
    );
    // A spent budget still crashes the container, even after a clean exit.
    expect(result.exitCode).toBe(1);
  });

  it('stops at once on SIGTERM during a back-off and never restarts after it', async () => {
    const file = join(await tempDir('starts-'), 'starts');
    const { droplet, command } = await supervisedSidecar(NAME, noting(file, 'exit 2'), {
      runtime: onFailure(),
      tweak: (s) => (s.restart.backoff = { initialSeconds: 20, maxSeconds: 30, resetAfterSeconds: 60 }),
    });
    const run = launch(droplet, command);
    await until(async () => (await state(droplet)).state === 'backing off', 5000, 'backing off');
    const sent = Date.now();
    process.kill(run.pid as number, 'SIGTERM');
    const result = await run;
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      `${NAME}: SIGTERM received while the sidecar was not running (backing off); not restarting it`,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await starts(file)).toHaveLength(1);
  });

  it('does not restart a sidecar once the app processes of the container have exited', async () => {
    const { droplet, command } = await supervisedSidecar(NAME, 'sleep 0.5; exit 9', { runtime: onFailure() });
    // An app process that ran and is gone (profile.sh records each app process's pid).
    await writeFile(join(droplet.tmpDir, 'sidecar-buildpack-app.999999999.pid'), '');
    const result = await launch(droplet, command);
    expect(result.exitCode).toBe(9);
    expect(result.stderr).toContain("after the app's processes exited; not restarting it");
  });

  it('restart: never keeps the platform behaviour: the supervisor exits with the sidecar', async () => {
    const { droplet, command } = await supervisedSidecar(NAME, 'sleep 0.2; kill -9 $$');
    const result = await launch(droplet, command);
    expect(result.exitCode).toBe(137);
    expect(lines(result.stderr)).toEqual([`[sidecar-buildpack] ${NAME}: the sidecar exited with status 137`]);
    // Only the supervisor's line: no job notice of bash's ("... Killed   { echo 1000 ...").
    expect(result.stderr).not.toContain('Killed');
  });
});

describe('memory: the reservation as a limit', () => {
  /** A node sidecar that holds `mb` MB of touched memory. */
  const hog = (mb: number, file: string) =>
    noting(
      file,
      `exec ${shellQuote(process.execPath)} -e "globalThis.b = Buffer.alloc(${mb} * 1048576, 1); setInterval(() => {}, 1000)"`,
    );

  it('restarts a sidecar that stays over its memory, with one WARNING line', async () => {
    const file = join(await tempDir('starts-'), 'starts');
    const { droplet, command } = await supervisedSidecar(NAME, hog(100, file), {
      runtime: onFailure(),
      memoryMb: 80,
      tweak: (s) => (s.memoryCheck = { action: 'restart', intervalSeconds: 1, samples: 2 }),
    });
    const run = launch(droplet, command);
    await until(async () => (await starts(file)).length === 2, 20_000, 'a restart');
    process.kill(run.pid as number, 'SIGTERM');
    const result = await run;
    expect(result.stderr).toMatch(
      new RegExp(
        `${NAME}: \\*\\*WARNING\\*\\* uses 1\\d\\dM, over its 80M for 2 samples in a row; restarting it before the container runs out of memory`,
      ),
    );
    expect(result.stderr).toMatch(
      /exited with status 143 \(stopped: over its 80M\); restart 1 of 5 within 10m, in 1s/,
    );
  });

  it('warns once and keeps it running with over_memory: warn', async () => {
    const file = join(await tempDir('starts-'), 'starts');
    const { droplet, command } = await supervisedSidecar(NAME, hog(100, file), {
      memoryMb: 80,
      tweak: (s) => (s.memoryCheck = { action: 'warn', intervalSeconds: 1, samples: 2 }),
    });
    const run = launch(droplet, command);
    await until(async () => (await starts(file)).length === 1, 5000, 'started');
    await new Promise((r) => setTimeout(r, 4500));
    process.kill(run.pid as number, 'SIGTERM');
    const result = await run;
    expect(
      result.stderr.match(
        /\*\*WARNING\*\* uses \d+M, over its 80M for 2 samples in a row; if the container runs out of memory, the kernel kills this sidecar first/g,
      ),
    ).toHaveLength(1);
    expect(await starts(file)).toHaveLength(1);
  });
});

describe('priority', () => {
  it('runs the sidecar at nice 10 (low) while the supervisor keeps its own', async () => {
    const { droplet, command } = await supervisedSidecar(NAME, 'exec sleep 30', {
      runtime: { priority: 'low' },
    });
    const run = launch(droplet, command);
    await until(async () => Number((await state(droplet)).pid) > 0, 5000, 'started');
    const pid = Number((await state(droplet)).pid);
    await until(async () => (await readFile(`/proc/${pid}/comm`, 'utf8')).trim() === 'sleep', 5000, 'exec');
    const own = Number(await statField(process.pid, 16));
    expect(Number(await statField(pid, 16))).toBe(Math.min(19, own + 10));
    expect(Number(await statField(run.pid as number, 16))).toBe(own);
    process.kill(run.pid as number, 'SIGTERM');
    await run;
  });
});

describe('the sidecars command', () => {
  it('prints a line per sidecar with state, pid, restarts, last exit, memory, health and uptime', async () => {
    const { droplet, command } = await supervisedSidecar(NAME, 'exec sleep 30', { runtime: onFailure() });
    const run = launch(droplet, command);
    await until(async () => Number((await state(droplet)).pid) > 0, 5000, 'started');
    const pid = (await state(droplet)).pid as string;
    const table = await execa(join(droplet.appDir, '.sidecar_buildpack', 'bin', 'sidecars'), {
      env: { TMPDIR: droplet.tmpDir, VCAP_APPLICATION: JSON.stringify({ process_type: 'web' }) },
    });
    const [header, row, ...rest] = table.stdout.split('\n');
    expect(header).toMatch(/^SIDECAR +STATE +PID +RESTARTS +LAST EXIT +MEMORY +HEALTH +UPTIME$/);
    expect(row).toMatch(new RegExp(`^${NAME} +running +${pid} +0 +- +\\d+M/64M +none +\\d+s$`));
    expect(rest).toEqual([]);
    process.kill(run.pid as number, 'SIGTERM');
    await run;
  });

  it('says what is wrong with an option', async () => {
    const { droplet } = await supervisedSidecar(NAME, 'true');
    const run = await execa(join(droplet.depsDir, '0', 'sidecar_runtime', 'bin', 'sidecars'), ['--jsno'], {
      reject: false,
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe("sidecars: unknown option '--jsno' (usage: sidecars [--json])");
  });
});

describe('cf ssh: the lifecycle shell', () => {
  it('is not an app process: no guard, no pid record, no ready wait, and sidecars on PATH', async () => {
    const closed = await freePort();
    const { droplet } = await supervisedSidecar(NAME, 'true', {
      runtime: { ready: { probe: { kind: 'tcp', port: closed }, timeoutSeconds: 60, onTimeout: 'fail' } },
    });
    const started = Date.now();
    const shell = await launch(droplet, 'sidecars', {
      launcherScript: LIFECYCLE_SHELL_SCRIPT,
      scriptName: '/tmp/lifecycle/shell',
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(shell.exitCode).toBe(0);
    expect(shell.stdout).not.toContain('memory guard');
    expect(shell.stdout).toMatch(new RegExp(`^${NAME} +not started +- +0 +- +-/64M +none +-$`, 'm'));
    expect((await readdir(droplet.tmpDir)).filter((f) => f.startsWith('sidecar-buildpack-app.'))).toEqual([]);
  });
});
