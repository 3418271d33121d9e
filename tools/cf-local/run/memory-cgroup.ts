/**
 * A real memory limit for a local container: one memory cgroup per instance holding every
 * process of it (app + sidecars share the limit, as in a Garden container), so an app that
 * overruns gets OOM-killed with exit status 137 as on Cloud Foundry.
 *
 * Works when this process may create a child of its own memory cgroup: cgroup v2 (a writable
 * cgroup whose parent delegates `memory`) or cgroup v1 (the memory hierarchy; typical for root
 * in a VM or a privileged container). Anything else (rootless, read-only /sys/fs/cgroup, macOS)
 * gives a reason instead, and instances run without a limit; MEMORY_LIMIT is still set.
 * systemd-run is not used: it needs a running systemd, which containers and CI rarely have.
 */
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../exists.js';

export interface MemoryCgroup {
  kind: 'cgroup v1' | 'cgroup v2';
  dir: string;
  /** Writing a pid here moves that process (and its future children) into the cgroup. */
  procsFile: string;
  /** Processes still inside. */
  pids(): Promise<number[]>;
  /** How many processes the kernel OOM-killed in this cgroup so far. */
  oomKills(): Promise<number>;
  /** Removes the (empty) cgroup. */
  remove(): Promise<void>;
}

export type CgroupResult = { ok: true; cgroup: MemoryCgroup } | { ok: false; reason: string };

const ROOT = '/sys/fs/cgroup';

/** This process's cgroup paths, from /proc/self/cgroup (`0::/x` for v2, `4:memory:/x` for v1). */
async function ownCgroups(): Promise<{ v2?: string; v1Memory?: string }> {
  const text = await readFile('/proc/self/cgroup', 'utf8').catch(() => '');
  const out: { v2?: string; v1Memory?: string } = {};
  for (const line of text.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined) continue;
    if (controllers === '') out.v2 = path;
    if (controllers?.split(',').includes('memory')) out.v1Memory = path;
  }
  return out;
}

function counter(text: string, key: string): number {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

function handle(kind: MemoryCgroup['kind'], dir: string, eventsFile: string): MemoryCgroup {
  const procsFile = join(dir, 'cgroup.procs');
  return {
    kind,
    dir,
    procsFile,
    pids: async () =>
      (await readFile(procsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number),
    oomKills: async () => counter(await readFile(join(dir, eventsFile), 'utf8').catch(() => ''), 'oom_kill'),
    remove: () => rmdir(dir).catch(() => undefined),
  };
}

/** Creates `name` below this process's memory cgroup with a limit of `limitMb`. */
export async function createMemoryCgroup(name: string, limitMb: number): Promise<CgroupResult> {
  const own = await ownCgroups();
  const bytes = String(limitMb * 1024 * 1024);
  const failures: string[] = [];

  if (own.v2 !== undefined && (await exists(join(ROOT, 'cgroup.controllers')))) {
    const dir = join(ROOT, own.v2, name);
    try {
      await mkdir(dir);
      await writeFile(join(dir, 'memory.max'), bytes);
      await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => undefined);
      return { ok: true, cgroup: handle('cgroup v2', dir, 'memory.events') };
    } catch (error) {
      await rmdir(dir).catch(() => undefined);
      failures.push(`cgroup v2 at ${dir}: ${(error as Error).message}`);
    }
  }
  if (own.v1Memory !== undefined && (await exists(join(ROOT, 'memory', 'memory.limit_in_bytes')))) {
    const dir = join(ROOT, 'memory', own.v1Memory, name);
    try {
      await mkdir(dir);
      await writeFile(join(dir, 'memory.limit_in_bytes'), bytes);
      await writeFile(join(dir, 'memory.memsw.limit_in_bytes'), bytes).catch(() => undefined);
      return { ok: true, cgroup: handle('cgroup v1', dir, 'memory.oom_control') };
    } catch (error) {
      await rmdir(dir).catch(() => undefined);
      failures.push(`cgroup v1 at ${dir}: ${(error as Error).message}`);
    }
  }
  return {
    ok: false,
    reason: failures.join('; ') || 'no memory cgroup controller is available to this process',
  };
}
