/**
 * `cf-local run`: Diego running a staged droplet (cf-contract section 4). Each instance index is
 * supervised: a container is created, its processes are started through the launcher, and when
 * any of them exits the container is destroyed, Cloud Controller's crash line is logged and a new
 * container is started after the restart policy's delay. `stop()` ends everything.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readStaged, STAGED_LAYOUT, type AppRecord } from '../app-record.js';
import { checkSidecars } from '../staging/sidecar-checks.js';
import type { StagingResult } from '../staging/staging-result.js';
import { Container, sleep, type Emit } from './container.js';
import { crashLine, restartDelayMs } from './crash-policy.js';
import type { LogLine } from './log-line.js';
import { parseMemoryMb } from './memory.js';
import { createMemoryCgroup } from './memory-cgroup.js';
import { freePort } from './port.js';
import { canIsolateNetwork, CONTAINER_PORT, createNetwork } from './network.js';
import { planProcesses } from './process-plan.js';
import { Reaper } from './reaper.js';
import { appIdentity, type AppIdentity } from './vcap-application.js';
import { pathFor } from '../stack-path.js';

export interface RunOptions {
  /** A directory written by `stage`. */
  stagedDir: string;
  /** Process memory, e.g. `1G` (the container's limit). Default 1G. */
  memory?: string;
  processType?: string;
  instances?: number;
  /** Extra env for every process, over the app's staged env. */
  env?: Readonly<Record<string, string>>;
  /** Cloud Controller's subtraction of sidecar memory from the app's MEMORY_LIMIT. Default on. */
  subtractSidecarMemory?: boolean;
  /** Enforce the memory limit with a cgroup when the machine allows it. Default on. */
  enforceMemoryLimit?: boolean;
  /** `port` (default for web) waits for PORT to accept connections; `process` only for the PID. */
  healthCheckType?: 'port' | 'process';
  healthCheckTimeoutMs?: number;
  /** Interval of the port check once healthy (Diego: 30 s). */
  livenessIntervalMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping (Diego: 10 s). */
  stopGraceMs?: number;
  /** Restart crashed instances (default on). */
  restart?: boolean;
  /** Keep the host's node on PATH (the stack has none; default: hidden). */
  hostNode?: boolean;
  onLog?: (line: LogLine) => void;
}

/** What a test or a user can see of one instance index. */
export interface InstanceView {
  index: number;
  port: number;
  /** The container's own address (a network namespace of its own), else 127.0.0.1. */
  ip: string;
  state: 'starting' | 'running' | 'crashed' | 'stopped';
  crashCount: number;
  guid: string;
  /** The current container's processes with their pids (each leads its own process group). */
  processes: Array<{ name: string; source: string; pid: number; isSidecar: boolean }>;
  /** The current container's /home/vcap. */
  home: string;
}

/** Everything a run needs, resolved once from RunOptions and the staged directory. */
interface RunSettings {
  stagedDir: string;
  memory: string;
  processMb: number;
  processType: string;
  instances: number;
  subtractSidecarMemory: boolean;
  enforceMemoryLimit: boolean;
  healthCheckType: 'port' | 'process';
  healthCheckTimeoutMs: number;
  livenessIntervalMs: number;
  stopGraceMs: number;
  restart: boolean;
  env: Readonly<Record<string, string>>;
  onLog?: (line: LogLine) => void;
  result: StagingResult;
  app: AppRecord;
  identity: AppIdentity;
  /** Temp dir holding the containers of this run. */
  runRoot: string;
  /** PATH of every process (the stack's: no node unless hostNode). */
  path: string;
  /** Destroys the run's processes, cgroups and files if cf-local dies before stop(). */
  reaper: Reaper;
  /** Each container in a network namespace of its own (network.ts), with PORT 8080. */
  isolateNetwork: boolean;
}

export class RunningApp {
  readonly logs: LogLine[] = [];
  /** Every pid this run started, across restarts: after stop() none of them may be alive. */
  readonly startedPids: number[] = [];
  /** How the memory limit is enforced, or why it is not. */
  memoryLimit = '';
  private readonly views: InstanceView[] = [];
  private readonly containers: Array<Container | undefined> = [];
  private readonly loops: Array<Promise<void>> = [];
  private readonly waiters = new Set<() => void>();
  private stopped = false;

  constructor(private readonly settings: RunSettings) {}

  /** A snapshot of an instance (later restarts do not change it). */
  instance(index = 0): InstanceView {
    const view = this.views[index];
    if (!view) throw new Error(`no instance ${index}`);
    return snapshot(view);
  }

  /** `http://IP:PORT` of an instance: its container's address, or 127.0.0.1 on a shared network. */
  url(index = 0): string {
    const view = this.instance(index);
    return `http://${view.ip}:${view.port}`;
  }

  /**
   * Resolves once the instance's current container is healthy; with `crashes`, only once it has
   * crashed that many times and is healthy again (a restart).
   */
  waitUntilRunning(index = 0, timeoutMs = 15_000, crashes = 0): Promise<InstanceView> {
    return this.waitFor(
      () => {
        const view = this.views[index];
        return view?.state === 'running' && view.crashCount >= crashes ? snapshot(view) : undefined;
      },
      timeoutMs,
      `instance ${index} to be running${crashes ? ` after ${crashes} crash(es)` : ''}`,
    );
  }

  /** Resolves with the first log line (since start) matching `pattern`. */
  waitForLog(pattern: RegExp | string, timeoutMs = 15_000): Promise<LogLine> {
    const match = (l: LogLine): boolean =>
      typeof pattern === 'string' ? l.text.includes(pattern) : pattern.test(l.text);
    return this.waitFor(() => this.logs.find(match), timeoutMs, `a log line matching ${String(pattern)}`);
  }

  private waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolvePromise, reject) => {
      const check = (): void => {
        const value = probe();
        if (value === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolvePromise(value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last log lines:\n${this.tail()}`),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  private tail(): string {
    return this.logs
      .slice(-15)
      .map((l) => `  [${l.source}/${l.index}] ${l.stream} ${l.text}`)
      .join('\n');
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }

  private emitter(index: number): Emit {
    return (source, stream, text) => {
      const line: LogLine = { time: new Date(), source, index, stream, text };
      this.logs.push(line);
      this.settings.onLog?.(line);
      this.notify();
    };
  }

  /** Starts the supervisor of every instance index. */
  async start(): Promise<void> {
    for (let index = 0; index < this.settings.instances; index++) {
      const view: InstanceView = {
        index,
        port: this.settings.isolateNetwork ? CONTAINER_PORT : await freePort(),
        ip: '127.0.0.1',
        state: 'starting',
        crashCount: 0,
        guid: '',
        processes: [],
        home: '',
      };
      this.views.push(view);
      this.loops.push(this.supervise(view));
    }
  }

  private async supervise(view: InstanceView): Promise<void> {
    const emit = this.emitter(view.index);
    let generation = 0;
    while (!this.stopped) {
      const guid = randomUUID();
      const home = join(this.settings.runRoot, `instance-${view.index}-${generation++}`);
      const cgroup = await this.cgroupFor(`cf-local-${guid}`, emit);
      if (cgroup) this.settings.reaper.watchCgroup(cgroup.dir);
      // A new container, a new network and address, as a cell gives a restarted instance.
      const network = this.settings.isolateNetwork ? await createNetwork() : undefined;
      if (network) {
        this.settings.reaper.watchNetwork(network.name, network.lease);
        emit(
          'CELL',
          'OUT',
          `cf-local: container address ${network.containerIp}, PORT ${view.port} (a network namespace of its own)`,
        );
      } else if (generation === 1)
        emit(
          'CELL',
          'OUT',
          `cf-local: no network namespace per container (made only as root, with iproute2): instances share this machine's network, each with a free PORT of its own (${view.port})`,
        );
      if (this.stopped) {
        await cgroup?.remove();
        if (cgroup) this.settings.reaper.forgetCgroup(cgroup.dir);
        await network?.remove();
        if (network) this.settings.reaper.forgetNetwork(network.name);
        return;
      }
      const { settings } = this;
      const specs = planProcesses({
        result: settings.result,
        app: settings.app,
        identity: settings.identity,
        processType: settings.processType,
        processMb: settings.processMb,
        diskMb: 1024,
        subtractSidecarMemory: settings.subtractSidecarMemory,
        port: view.port,
        ...(network ? { addresses: { hostIp: network.hostIp, containerIp: network.containerIp } } : {}),
        index: view.index,
        instanceGuid: guid,
        hostPath: settings.path,
        extraEnv: settings.env,
      });
      const container = new Container({
        guid,
        home,
        dropletDir: join(settings.stagedDir, STAGED_LAYOUT.droplet),
        specs,
        port: view.port,
        ...(cgroup ? { cgroup } : {}),
        healthCheck: settings.healthCheckType,
        healthTimeoutMs: settings.healthCheckTimeoutMs,
        livenessIntervalMs: settings.livenessIntervalMs,
        stopGraceMs: settings.stopGraceMs,
        emit,
        reaper: settings.reaper,
        ...(network ? { network } : {}),
      });
      this.containers[view.index] = container;
      Object.assign(view, {
        guid,
        home,
        ip: network?.containerIp ?? '127.0.0.1',
        state: 'starting',
        processes: [],
      });
      await container.start();
      view.processes = container.processes.map((p) => ({
        name: p.spec.name,
        source: p.spec.source,
        pid: p.pid,
        isSidecar: p.spec.isSidecar,
      }));
      this.startedPids.push(...view.processes.map((p) => p.pid));
      this.notify();
      void container.healthy.then(() => {
        if (this.containers[view.index] === container && !this.stopped) view.state = 'running';
        this.notify();
      });
      const description = await container.ended;
      if (this.stopped) return;
      view.state = 'crashed';
      view.crashCount++;
      await container.destroy();
      emit(
        'API',
        'OUT',
        crashLine({
          appGuid: settings.identity.guid,
          instanceGuid: guid,
          index: view.index,
          description,
          crashCount: view.crashCount,
          time: new Date(),
        }),
      );
      if (!settings.restart) return;
      await this.interruptibleSleep(restartDelayMs(view.crashCount));
    }
  }

  private async interruptibleSleep(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.stopped && Date.now() < deadline) await sleep(Math.min(100, deadline - Date.now()));
  }

  private async cgroupFor(name: string, emit: Emit) {
    const { enforceMemoryLimit, memory, processMb } = this.settings;
    if (!enforceMemoryLimit) {
      this.memoryLimit = 'not enforced (disabled)';
      return undefined;
    }
    const made = await createMemoryCgroup(name, processMb);
    if (made.ok) {
      if (!this.memoryLimit)
        emit(
          'CELL',
          'OUT',
          `cf-local: memory limit ${memory} enforced by a ${made.cgroup.kind} memory cgroup`,
        );
      this.memoryLimit = `${made.cgroup.kind} ${made.cgroup.dir}`;
      return made.cgroup;
    }
    if (!this.memoryLimit.startsWith('not enforced')) {
      emit('CELL', 'ERR', `cf-local: memory limit not enforced on this machine: ${made.reason}`);
    }
    this.memoryLimit = `not enforced: ${made.reason}`;
    return undefined;
  }

  /** Stops every instance and deletes the run's files; safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return Promise.all(this.loops).then(() => undefined);
    this.stopped = true;
    await Promise.all(this.containers.map((c) => c?.destroy()));
    await Promise.all(this.loops);
    for (const view of this.views) view.state = 'stopped';
    await rm(this.settings.runRoot, { recursive: true, force: true });
    this.settings.reaper.done();
  }
}

function snapshot(view: InstanceView): InstanceView {
  return { ...view, processes: view.processes.map((p) => ({ ...p })) };
}

/** Starts the app's instances (does not wait for them to be healthy). */
export async function run(options: RunOptions): Promise<RunningApp> {
  const stagedDir = resolve(options.stagedDir);
  const { result, app } = await readStaged(stagedDir);
  const processType = options.processType ?? 'web';
  // Refused before anything starts: `cf push` would have no such process to scale either.
  if (!(processType in result.process_types))
    throw new Error(
      `the droplet in ${stagedDir} has no process type "${processType}" (it has: ${Object.keys(result.process_types).join(', ') || 'none'})`,
    );
  const memory = options.memory ?? '1G';
  const processMb = parseMemoryMb(memory);
  const rejections = checkSidecars({
    sidecars: result.sidecars,
    processMemoryMb: { [processType]: processMb },
  });
  if (rejections.length > 0) throw new Error(rejections.join('; '));
  const runRoot = await mkdtemp(join(tmpdir(), `cf-local-run-${app.name}-`));
  const reaper = Reaper.start();
  reaper.watchDir(runRoot);
  const running = new RunningApp({
    stagedDir,
    memory,
    processMb,
    processType,
    instances: options.instances ?? 1,
    subtractSidecarMemory: options.subtractSidecarMemory ?? true,
    enforceMemoryLimit: options.enforceMemoryLimit ?? true,
    healthCheckType: options.healthCheckType ?? (processType === 'web' ? 'port' : 'process'),
    healthCheckTimeoutMs: options.healthCheckTimeoutMs ?? 60_000,
    livenessIntervalMs: options.livenessIntervalMs ?? 30_000,
    stopGraceMs: options.stopGraceMs ?? 10_000,
    restart: options.restart ?? true,
    env: options.env ?? {},
    ...(options.onLog ? { onLog: options.onLog } : {}),
    result,
    app,
    identity: appIdentity(app.name),
    runRoot,
    reaper,
    path: await pathFor(options.hostNode ?? false),
    isolateNetwork: await canIsolateNetwork(),
  });
  await running.start();
  return running;
}
