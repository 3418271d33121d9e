/**
 * One instance's container, as Diego runs it (cf-contract sections 4 and 7): a fresh copy of the
 * droplet as its /home/vcap, every process (app + sidecars) started as
 * `cd /home/vcap && launcher app COMMAND ""` and, where the machine allows, inside one memory
 * cgroup; a health check; and codependency: the first process to exit ends the container. A
 * container is never restarted: the supervisor makes a new one, as Diego does.
 *
 * Stopping is Garden's: SIGTERM to each process's pid (not its group), SIGKILL to each 10 s later,
 * then the container's destruction kills whatever is left. Each process leads its own process
 * group only so that this last step can find what it started when there is no cgroup.
 *
 * A process's stdout and stderr are pipes, as Garden gives them: FIFOs in `<home>.stdio/`, read
 * by a `cat` each. (Node's own stdio "pipes" are Unix sockets, on which `> /dev/stdout` fails
 * with ENXIO where a cell runs it.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';
import { cp, mkdir, rm } from 'node:fs/promises';
import { execa } from 'execa';
import { createInterface } from 'node:readline';
import { exitDescription, exitStatus } from './crash-policy.js';
import type { MemoryCgroup } from './memory-cgroup.js';
import { launch, readEntrypointPrefix } from './launcher-script.js';
import { portAccepts } from './port.js';
import type { ProcessSpec } from './process-plan.js';
import type { ContainerNetwork } from './network.js';
import type { Reaper } from './reaper.js';

const POLL_MS = 50;

export type Emit = (source: string, stream: 'OUT' | 'ERR', text: string) => void;

export interface ContainerConfig {
  guid: string;
  /** The directory that plays /home/vcap; created from the droplet, deleted on destroy. */
  home: string;
  dropletDir: string;
  specs: readonly ProcessSpec[];
  port: number;
  cgroup?: MemoryCgroup;
  healthCheck: 'port' | 'process';
  healthTimeoutMs: number;
  /** How often the port is checked once healthy (Diego: 30 s). */
  livenessIntervalMs: number;
  stopGraceMs: number;
  emit: Emit;
  /** Told of every launch, so that the container goes even if cf-local dies first. */
  reaper?: Reaper;
  /** The container's own network namespace (network.ts); without one, the host's network. */
  network?: ContainerNetwork;
}

/** A running process of the container. */
export interface ContainerProcess {
  spec: ProcessSpec;
  pid: number;
  child: ChildProcess;
  exited: Promise<void>;
  /** The `cat`s that read its stdout and stderr pipes. */
  readers: ChildProcess[];
}

export class Container {
  readonly processes: ContainerProcess[] = [];
  /** Resolves with the crash description when the container ends by itself. */
  readonly ended: Promise<string>;
  /** Resolves when the health check passes (never, if the container ends first). */
  readonly healthy: Promise<void>;
  private endWith!: (description: string) => void;
  private becameHealthy!: () => void;
  private isEnded = false;
  private stopping = false;
  private starting: Promise<void> | undefined;
  private destroying: Promise<void> | undefined;

  /** The droplet's config.yml `entrypoint_prefix` (staging_info.yml), or '' for `bash -c`. */
  private entrypointPrefix = '';

  constructor(private readonly config: ContainerConfig) {
    this.ended = new Promise((resolve) => (this.endWith = resolve));
    this.healthy = new Promise((resolve) => (this.becameHealthy = resolve));
  }

  /** Creates the container and starts every process; health is checked in the background. */
  start(): Promise<void> {
    this.starting ??= this.create();
    return this.starting;
  }

  private async create(): Promise<void> {
    const { emit, guid } = this.config;
    emit('CELL', 'OUT', `Cell cf-local creating container for instance ${guid}`);
    await cp(this.config.dropletDir, this.config.home, { recursive: true, verbatimSymlinks: true });
    this.entrypointPrefix = await readEntrypointPrefix(this.config.home);
    emit('CELL', 'OUT', `Cell cf-local successfully created container for instance ${guid}`);
    await mkdir(this.stdioDir(), { recursive: true });
    for (const [index, spec] of this.config.specs.entries()) {
      if (this.stopping) return;
      this.processes.push(await this.launch(spec, index));
    }
    emit('CELL', 'OUT', 'Starting health monitoring of container');
    void this.checkHealth();
  }

  private stdioDir(): string {
    return `${this.config.home}.stdio`;
  }

  private async launch(spec: ProcessSpec, index: number): Promise<ContainerProcess> {
    const started = launch(this.config.home, spec.command, spec.env, this.entrypointPrefix);
    const [out, err] = ['out', 'err'].map((s) => `${this.stdioDir()}/${index}.${s}`) as [string, string];
    await execa('mkfifo', [out, err]);
    // Each reader in a group of its own: a Ctrl-C to cf-local's group must not cut the logs short.
    const readers = [out, err].map((fifo) =>
      spawn('cat', [fifo], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    readers.forEach((reader, i) => {
      // A reader whose writer never came (cf-local killed in between) would wait forever.
      if (reader.pid !== undefined) this.config.reaper?.watchGroup(reader.pid);
      createInterface({ input: reader.stdout! }).on('line', (l) =>
        this.config.emit(spec.source, i === 0 ? 'OUT' : 'ERR', l),
      );
    });
    // The pipes first; then joining the cgroup before exec keeps every byte the process
    // allocates inside the limit.
    const { network } = this.config;
    // In the container's network namespace, when it has one; nsenter execs, so the pid stays.
    const child = spawn(
      network ? 'nsenter' : 'bash',
      [
        ...(network ? [`--net=${network.path}`, '--', 'bash'] : []),
        '-c',
        'exec >"$1" 2>"$2" && { [ -z "$3" ] || echo $$ >"$3"; } && shift 3 && exec "$@"',
        'bash',
        out,
        err,
        this.config.cgroup?.procsFile ?? '',
        'bash',
        ...started.args,
      ],
      { cwd: started.cwd, env: started.env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    if (child.pid !== undefined) this.config.reaper?.watchGroup(child.pid);
    // Only what fails before the pipes are set up comes here.
    createInterface({ input: child.stderr! }).on('line', (l) => this.config.emit(spec.source, 'ERR', l));
    const exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        this.config.emit(spec.source, 'ERR', `failed to start: ${error.message}`);
        for (const reader of readers) reader.kill('SIGKILL');
        void this.processEnded(spec, 1, null).then(resolve);
      });
      child.once('exit', (code, signal) => void this.processEnded(spec, code, signal).then(resolve));
    });
    return { spec, pid: child.pid ?? -1, child, exited, readers };
  }

  private async processEnded(
    spec: ProcessSpec,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): Promise<void> {
    if (this.stopping) return;
    const status = exitStatus(code, signal ? constants.signals[signal] : undefined);
    const oom = (await this.config.cgroup?.oomKills()) ?? 0;
    this.config.emit(spec.source, 'OUT', `Exit status ${status}`);
    this.end(exitDescription(spec.source, status, oom > 0 && status === 137));
  }

  private end(description: string): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.endWith(description);
  }

  private async checkHealth(): Promise<void> {
    const { healthCheck, port, healthTimeoutMs, emit } = this.config;
    const deadline = Date.now() + healthTimeoutMs;
    // Diego dials the container's address, never 127.0.0.1 inside it.
    const host = this.config.network?.containerIp;
    while (healthCheck === 'port' && !(await portAccepts(port, 500, host))) {
      if (this.isEnded || this.stopping) return;
      if (Date.now() >= deadline) {
        this.end(
          `Instance never healthy after ${healthTimeoutMs / 1000}s: Failed to make TCP connection to port ${port}: connection refused`,
        );
        return;
      }
      await sleep(POLL_MS);
    }
    if (this.isEnded || this.stopping) return;
    emit('CELL', 'OUT', 'Container became healthy');
    this.becameHealthy();
    if (healthCheck === 'port') await this.checkLiveness();
  }

  /** After the first success Diego keeps checking the port; a failure crashes the instance. */
  private async checkLiveness(): Promise<void> {
    const { port, livenessIntervalMs } = this.config;
    for (;;) {
      await sleep(livenessIntervalMs);
      if (this.isEnded || this.stopping) return;
      if (!(await portAccepts(port, 1000, this.config.network?.containerIp))) {
        if (this.isEnded || this.stopping) return;
        this.end(
          `Instance became unhealthy: Failed to make TCP connection to port ${port}: connection refused`,
        );
        return;
      }
    }
  }

  /**
   * Stops every process as Garden does: SIGTERM to each pid, SIGKILL to each after the grace
   * period, then the container is destroyed with whatever is left in it (the cgroup's members,
   * and each launch's process group); removes the cgroup and the container's files.
   */
  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  private async teardown(): Promise<void> {
    const { emit, guid, stopGraceMs, cgroup } = this.config;
    this.stopping = true;
    this.end('stopped');
    await this.starting?.catch(() => undefined);
    emit('CELL', 'OUT', `Cell cf-local stopping instance ${guid}`);
    for (const p of this.processes) signal(p.pid, 'SIGTERM', 'pid');
    const all = Promise.all(this.processes.map((p) => p.exited));
    await Promise.race([all, sleep(stopGraceMs)]);
    for (const p of this.processes) signal(p.pid, 'SIGKILL', 'pid');
    await all;
    // The container goes, and every process still in it: what the launches left behind.
    for (const p of this.processes) signal(p.pid, 'SIGKILL', 'group');
    if (cgroup) await emptyCgroup(cgroup);
    for (const p of this.processes) this.config.reaper?.forgetGroup(p.pid);
    if (cgroup) this.config.reaper?.forgetCgroup(cgroup.dir);
    if (this.config.network) {
      await this.config.network.remove();
      this.config.reaper?.forgetNetwork(this.config.network.name);
    }
    // The pipes have no writer left: their readers pass on the last lines and end, or are ended.
    const readers = this.processes.flatMap((p) => p.readers);
    const drained = Promise.all(
      readers.map((r) => (r.exitCode !== null || r.signalCode !== null ? undefined : once(r, 'exit'))),
    );
    await Promise.race([drained, sleep(1000)]);
    for (const reader of readers) {
      reader.kill('SIGKILL');
      if (reader.pid !== undefined) this.config.reaper?.forgetGroup(reader.pid);
    }
    emit('CELL', 'OUT', `Cell cf-local destroying container for instance ${guid}`);
    await rm(this.config.home, { recursive: true, force: true });
    await rm(this.stdioDir(), { recursive: true, force: true });
    emit('CELL', 'OUT', `Cell cf-local successfully destroyed container for instance ${guid}`);
  }
}

/** Signals a launch's pid, or the process group it leads; one that is already gone is fine. */
function signal(pid: number, name: NodeJS.Signals, target: 'pid' | 'group'): void {
  if (pid <= 1) return;
  try {
    process.kill(target === 'group' ? -pid : pid, name);
  } catch {
    // ESRCH: it has exited.
  }
}

/** Kills whatever escaped the process groups (daemons) and removes the cgroup. */
async function emptyCgroup(cgroup: MemoryCgroup): Promise<void> {
  const deadline = Date.now() + 5000;
  for (let pids = await cgroup.pids(); pids.length > 0 && Date.now() < deadline; pids = await cgroup.pids()) {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(POLL_MS);
  }
  await cgroup.remove();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
