/**
 * Item 9: what supervising a sidecar costs at run time, and what `priority: low` buys.
 *   - idle RSS of a supervisor (beside an idle bash, the floor of any bash process);
 *   - CPU per hour of a supervisor with the default memory sampling (5 s) and a tcp health probe
 *     (10 s), measured over a window and scaled;
 *   - restart latency: kill -9 of the sidecar to its port answering again (back-off 1 s
 *     included), beside the sidecar's own cold start;
 *   - the requests per second of an app that does a fixed amount of CPU work on each (8 clients at once) beside
 *     a CPU-bound sidecar (2 busy loops), both pinned to one core: the sidecar at normal, then at
 *     low priority (nice 10), against the app alone on that core.
 * Processes start as the launcher starts them (tools/cf-local's launcher script) in a droplet
 * laid out by the staging code (installRuntime), so profile.sh and supervise.sh run for real.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SidecarRuntimeOptions } from '../../src/config/runtime-options-types.js';
import { sidecarCommand } from '../../src/launch/launch-config.js';
import { shellQuote } from '../../src/launch/shell-quote.js';
import { installRuntime } from '../../src/runtime/install-runtime.js';
import { buildRuntimeJson } from '../../src/runtime/runtime-config.js';
import { acceptsConnections, freePort } from '../../test/support/net.js';
import { launch as launcherArgs } from '../../tools/cf-local/run/launcher-script.js';
import { REPO_ROOT } from '../buildpack.js';
import type { BenchContext } from '../context.js';
import type { Row } from '../report.js';
import { pairedRatio, summarize } from '../stats.js';

const NAME = 'bench-sidecar';
/** Every launch this case made: killed (by process group) at its end, whatever happened. */
const launched: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Container {
  home: string;
  start(command: string, pin?: string): ChildProcess;
}

/** A droplet whose one sidecar is NAME with `runtime`; start() launches as Diego does. */
async function container(ctx: BenchContext, runtime: SidecarRuntimeOptions = {}): Promise<Container> {
  const home = await ctx.ws.dir('home');
  const depsDir = join(home, 'deps');
  for (const dir of ['app', 'tmp', `deps/0/sidecars/${NAME}`])
    await mkdir(join(home, dir), { recursive: true });
  const json = buildRuntimeJson([{ name: NAME, processTypes: ['web'], memoryMb: 64, runtime }]);
  await installRuntime(
    { scriptsDir: join(REPO_ROOT, 'src', 'runtime'), buildDir: join(home, 'app'), depsDir, depsIdx: '0' },
    json,
  );
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PORT: '8080',
    MEMORY_LIMIT: '512m',
    VCAP_APPLICATION: JSON.stringify({ process_type: 'web', limits: { mem: 576 } }),
  };
  return {
    home,
    start(command, pin) {
      const l = launcherArgs(home, command, env, '');
      const [file, args] = pin ? ['taskset', ['-c', pin, 'bash', ...l.args]] : ['bash', l.args];
      // A pinned launch shares the bench's session: the kernel's autogroups (one per session)
      // would otherwise split the core between sessions whatever the nice values, where in a
      // container all processes share the container's cgroup and nice decides.
      const child = spawn(file as string, args as string[], {
        cwd: l.cwd,
        env: l.env,
        stdio: process.env.BENCH_DEBUG ? 'inherit' : 'ignore',
        detached: !pin,
      });
      if (!pin) launched.push(child);
      return child;
    },
  };
}

/** The launch command of the bench sidecar running `command`. */
function supervised(command: string, runtime: SidecarRuntimeOptions = {}): string {
  return sidecarCommand('0', { name: NAME, command, processTypes: ['web'], memoryMb: 64, env: {}, runtime });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(child.pid as number, 'SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {
    // gone
  }
}

async function statusField(pid: number, field: string): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
}

/** utime + stime + cutime + cstime of `pid`, in ms. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return ((f[11] as number) + (f[12] as number) + (f[13] as number) + (f[14] as number)) * 10;
}

async function untilListening(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await acceptsConnections(port))) {
    if (Date.now() > deadline) throw new Error(`nothing listened on ${port} within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** A tiny TCP server, the sidecar of the restart rows. */
const tcpServer = (port: number) =>
  `exec ${shellQuote(process.execPath)} -e "require('net').createServer((s) => s.end()).listen(${port}, '127.0.0.1')"`;

/** The state file's sidecar pid, once the supervisor has written it. */
async function sidecarPid(home: string): Promise<number> {
  for (let i = 0; i < 400; i++) {
    const text = await readFile(join(home, 'tmp', 'sidecar-buildpack-state', NAME), 'utf8').catch(() => '');
    const pid = Number(/^pid=(\d+)$/m.exec(text)?.[1]);
    if (pid > 0 && /^state=running$/m.test(text)) return pid;
    await sleep(25);
  }
  throw new Error('the supervisor wrote no running pid');
}

export async function benchSupervision(ctx: BenchContext): Promise<Row[]> {
  try {
    return await measureSupervision(ctx);
  } finally {
    for (const child of launched.splice(0)) {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

async function measureSupervision(ctx: BenchContext): Promise<Row[]> {
  const quick = ctx.plan.quick;
  const rows: Row[] = [];

  // Idle RSS: the supervisor of an idle sidecar, beside an idle bash.
  const idle = await container(ctx);
  const rss: number[] = [];
  const bashRss: number[] = [];
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    const supervisor = idle.start(supervised('exec sleep 3600'));
    const bash = spawn('bash', ['-c', 'read -r _'], { stdio: ['pipe', 'ignore', 'ignore'] });
    await sidecarPid(idle.home);
    await sleep(500);
    rss.push((await statusField(supervisor.pid as number, 'VmRSS')) / 1024);
    bashRss.push((await statusField(bash.pid as number, 'VmRSS')) / 1024);
    bash.kill('SIGKILL');
    await stop(supervisor);
  }
  rows.push({
    item: 9,
    measurement: 'idle RSS of one supervisor (bash)',
    unit: 'MB',
    ours: summarize(rss),
    baselineLabel: "bash -c 'read'",
    baseline: summarize(bashRss),
    ratio: pairedRatio(rss, bashRss),
    target: { kind: 'max', value: 8 },
  });

  // CPU per hour with the default sampling (5 s) and a tcp probe every 10 s.
  const port = await freePort();
  const health = {
    probe: { kind: 'tcp', port },
    intervalSeconds: 10,
    timeoutSeconds: 2,
    failureThreshold: 3,
    startPeriodSeconds: 60,
  } as const;
  const probed = await container(ctx, { health });
  const windowMs = quick ? 6_000 : 60_000;
  const supervisor = probed.start(supervised(tcpServer(port), { health }));
  await untilListening(port);
  await sleep(1000);
  const before = await cpuMs(supervisor.pid as number);
  await sleep(windowMs);
  const used = (await cpuMs(supervisor.pid as number)) - before;
  await stop(supervisor);
  rows.push({
    item: 9,
    measurement: `supervisor CPU per hour: memory sample every 5 s, tcp probe every 10 s (over ${windowMs / 1000} s)`,
    unit: 'ms',
    ours: summarize([(used * 3_600_000) / windowMs]),
    target: { kind: 'max', value: 36_000 },
  });

  // Restart latency: kill -9 of the sidecar until it answers again, beside its cold start. A
  // fresh supervisor each time, so that each restart is a first one (back-off 1 s).
  const restart = { restart: { policy: 'on-failure', maxRestarts: 5, withinSeconds: 600 } } as const;
  const restarting = await container(ctx, restart);
  const latency: number[] = [];
  const cold: number[] = [];
  for (let i = 0; i < (quick ? 1 : 5); i++) {
    const restartPort = await freePort();
    const restartSupervisor = restarting.start(supervised(tcpServer(restartPort), restart));
    await untilListening(restartPort);
    const pid = await sidecarPid(restarting.home);
    const killed = Date.now();
    process.kill(pid, 'SIGKILL');
    while (await acceptsConnections(restartPort)) await sleep(1);
    await untilListening(restartPort);
    latency.push(Date.now() - killed);
    await stop(restartSupervisor);

    const coldPort = await freePort();
    const started = Date.now();
    const bare = spawn('bash', ['-c', tcpServer(coldPort)], { stdio: 'ignore' });
    await untilListening(coldPort);
    cold.push(Date.now() - started);
    bare.kill('SIGKILL');
  }
  rows.push({
    item: 9,
    measurement: 'restart latency: kill -9 to the port answering again (first restart: back-off 1 s)',
    unit: 'ms',
    ours: summarize(latency),
    baselineLabel: 'cold start of the same sidecar',
    baseline: summarize(cold),
    ratio: pairedRatio(latency, cold),
  });

  // priority: low. An app that does a fixed amount of CPU work on each request and a CPU-bound sidecar share
  // one core; eight clients keep the app busy, so its throughput is its share of the core.
  const throughput: Record<string, number> = {};
  for (const priority of ['none', 'normal', 'low'] as const) {
    const appPort = await freePort();
    const hog =
      priority === 'none'
        ? undefined
        : (await container(ctx, { priority })).start(
            supervised("bash -c 'while :; do :; done' & while :; do :; done", { priority }),
            '0',
          );
    const app = spawn(
      'taskset',
      ['-c', '0', process.execPath, join(REPO_ROOT, 'test', 'runtime', 'serve.mjs')],
      {
        env: { ...process.env, LISTEN_PORT: String(appPort), WORK_LOOPS: '2000000' },
        stdio: 'ignore',
      },
    );
    await untilListening(appPort);
    await sleep(500);
    const seconds = quick ? 1 : 5;
    const deadline = Date.now() + seconds * 1000;
    let served = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < deadline) {
          await fetch(`http://127.0.0.1:${appPort}/`).then((r) => r.text());
          served++;
        }
      }),
    );
    app.kill('SIGKILL');
    if (hog) await stop(hog);
    throughput[priority] = Math.round(served / seconds);
  }
  const none = summarize([throughput.none as number]);
  for (const priority of ['normal', 'low'] as const) {
    const ours = summarize([throughput[priority] as number]);
    rows.push({
      item: 9,
      measurement: `app requests/s (a fixed amount of CPU work each) beside a CPU-bound sidecar on one core, sidecar priority: ${priority}`,
      unit: 'requests',
      ours,
      baselineLabel: 'the app alone on that core',
      baseline: none,
      ratio: summarize([ours.median / none.median]),
    });
  }
  return rows;
}
