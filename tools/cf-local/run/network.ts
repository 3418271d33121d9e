/**
 * A network namespace per container, as a cell gives each one (cf-contract section 4): PORT is
 * 8080 in every instance, a sidecar's fixed port is free in each, the container has an IP of
 * its own, and the port health check dials that IP (an app that listens on 127.0.0.1 only is
 * never healthy, as on a cell). Made with iproute2 where cf-local may (root): a named netns and
 * a veth pair on a /30 of 10.254.0.0/16, the host's end as its default route. Elsewhere every
 * instance shares this machine's network, and `run` says so in one [CELL] line.
 *
 * Each /30 is taken by creating `$TMPDIR/cf-local-net/<n>` exclusively, so parallel runs never
 * share one; the reaper deletes the netns and the file if cf-local dies first.
 */
import { execa } from 'execa';
import { mkdir, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The port every container's processes listen on, as Diego sets PORT. */
export const CONTAINER_PORT = 8080;

export interface ContainerNetwork {
  /** The netns name (`ip netns`), also the prefix of its veth ends. */
  name: string;
  /** The host's end of the veth: CF_INSTANCE_IP, what the cell's address stands for. */
  hostIp: string;
  /** The container's own address: CF_INSTANCE_INTERNAL_IP, dialled by the health check. */
  containerIp: string;
  /** `/run/netns/<name>`, for nsenter. */
  path: string;
  /** The reservation file, for the reaper. */
  lease: string;
  remove(): Promise<void>;
}

const SLOTS = 16_383;

export function leasesDir(): string {
  return join(tmpdir(), 'cf-local-net');
}

let usable: Promise<boolean> | undefined;

/** Whether this process may make network namespaces (root, iproute2, a kernel that allows it). */
export function canIsolateNetwork(): Promise<boolean> {
  usable ??= (async () => {
    if (process.getuid?.() !== 0 || process.env.CF_LOCAL_SHARED_NETWORK) return false;
    const probe = `cflprobe${process.pid % 100_000}`;
    const made = await execa('ip', ['netns', 'add', probe], { reject: false }).catch(() => undefined);
    if (made?.exitCode !== 0) return false;
    await execa('ip', ['netns', 'del', probe], { reject: false });
    return (await execa('nsenter', ['--version'], { reject: false }).catch(() => undefined))?.exitCode === 0;
  })();
  return usable;
}

/** Takes a free /30 and makes the namespace and its veth pair. */
export async function createNetwork(): Promise<ContainerNetwork> {
  await mkdir(leasesDir(), { recursive: true });
  const start = Math.floor(Math.random() * SLOTS);
  for (let i = 0; i < SLOTS; i++) {
    const slot = ((start + i) % SLOTS) + 1;
    const lease = join(leasesDir(), String(slot));
    const handle = await open(lease, 'wx').catch(() => undefined);
    if (!handle) continue;
    await handle.writeFile(`${process.pid}\n`);
    await handle.close();
    const base = slot * 4;
    const ip = (offset: number) => `10.254.${Math.floor((base + offset) / 256)}.${(base + offset) % 256}`;
    const name = `cfl${slot}`;
    const network: ContainerNetwork = {
      name,
      hostIp: ip(1),
      containerIp: ip(2),
      path: `/run/netns/${name}`,
      lease,
      remove: async () => {
        await execa('ip', ['netns', 'del', name], { reject: false });
        await execa('ip', ['link', 'del', `${name}h`], { reject: false });
        await rm(lease, { force: true });
      },
    };
    try {
      const inside = (...args: string[]) => execa('ip', ['netns', 'exec', name, 'ip', ...args]);
      await execa('ip', ['netns', 'add', name]);
      await execa('ip', ['link', 'add', `${name}h`, 'type', 'veth', 'peer', 'name', `${name}c`]);
      await execa('ip', ['link', 'set', `${name}c`, 'netns', name]);
      await execa('ip', ['addr', 'add', `${network.hostIp}/30`, 'dev', `${name}h`]);
      await execa('ip', ['link', 'set', `${name}h`, 'up']);
      await inside('addr', 'add', `${network.containerIp}/30`, 'dev', `${name}c`);
      await inside('link', 'set', `${name}c`, 'up');
      await inside('link', 'set', 'lo', 'up');
      await inside('route', 'add', 'default', 'via', network.hostIp);
    } catch (error) {
      await network.remove();
      throw error;
    }
    return network;
  }
  throw new Error(`no free address for a container network under ${leasesDir()}`);
}
