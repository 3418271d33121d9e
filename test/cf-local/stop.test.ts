/**
 * cf-local's stops leave nothing behind, however cf-local itself ends: stopped cleanly, killed
 * by tsx 30 ms after a relayed SIGTERM (tsx's relaySignalToChild does exactly that when its
 * child does not acknowledge the signal in time), or SIGKILLed outright. The app ignores SIGTERM
 * and leaves a background child, the worst a user's app does.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { leasesDir } from '../../tools/cf-local/run/network.js';
import { REPO_ROOT } from '../support/buildpack.js';
import { tempDir } from '../support/tmp.js';
import { alive, BINARY_BUILDPACK, poll } from '../integration/support/apps.js';

const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(REPO_ROOT, 'tools', 'cf-local', 'cli.ts');

interface Ready {
  pid: number;
  memoryLimit: string;
  instances: { url: string; home: string; processes: { name: string; pid: number }[] }[];
}

let staged: string;

beforeAll(async () => {
  const app = await tempDir('stop-app-');
  // Ignores SIGTERM, and starts a child that outlives nothing if the container goes.
  await writeFile(
    join(app, 'Procfile'),
    'web: trap "" TERM; sleep 1000 & echo "child $!"; exec python3 -m http.server "$PORT" --bind 0.0.0.0\n',
  );
  staged = await tempDir('stop-staged-');
  const stage = await execa(
    TSX,
    [CLI, 'stage', app, '-b', BINARY_BUILDPACK, '--out', staged, '--cache-dir', await tempDir('c-')],
    { all: true, reject: false },
  );
  expect(stage.exitCode, stage.all).toBe(0);
});

/** What a run left alive or on disk: pids, its containers' dirs, its cgroups. */
async function leftovers(ready: Ready, childPid: number): Promise<string[]> {
  const pids = [childPid, ...ready.instances.flatMap((i) => i.processes.map((p) => p.pid))];
  const left = alive(pids).map((pid) => `pid ${pid}`);
  for (const instance of ready.instances) {
    const runRoot = join(instance.home, '..');
    if (await readdir(runRoot).catch(() => undefined)) left.push(`dir ${runRoot}`);
  }
  const cgroup = /^cgroup v[12] (.+)$/.exec(ready.memoryLimit)?.[1];
  if (cgroup && (await readdir(cgroup).catch(() => undefined))) left.push(`cgroup ${cgroup}`);
  // A container's network namespace (root): named after its /30, network.ts.
  for (const { url } of ready.instances) {
    const ip = /^http:\/\/10\.254\.(\d+)\.(\d+):/.exec(url);
    if (!ip) continue;
    const name = `cfl${(Number(ip[1]) * 256 + Number(ip[2]) - 2) / 4}`;
    const { stdout } = await execa('ip', ['netns', 'list']);
    if (stdout.split('\n').some((l) => l.split(' ')[0] === name)) left.push(`netns ${name}`);
    if (await readFile(join(leasesDir(), name.slice(3)), 'utf8').catch(() => undefined))
      left.push(`lease ${name}`);
  }
  return left;
}

const endings: Record<string, (cfLocalPid: number) => Promise<void>> = {
  'SIGTERM, then SIGKILL 30 ms later, as tsx does when its child does not answer': async (pid) => {
    process.kill(pid, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 30));
    process.kill(pid, 'SIGKILL');
  },
  'SIGKILL (a crash)': async (pid) => {
    process.kill(pid, 'SIGKILL');
  },
  'SIGTERM (a clean stop)': async (pid) => {
    process.kill(pid, 'SIGTERM');
  },
};

describe('cf-local run, however it ends', () => {
  for (const [ending, end] of Object.entries(endings)) {
    it(`leaves no process, dir or cgroup behind: ${ending}`, async () => {
      const readyFile = join(await tempDir('stop-ready-'), 'ready.json');
      const running = execa(
        TSX,
        [CLI, 'run', staged, '--memory', '256M', '--stop-grace', '1', '--ready-file', readyFile],
        { all: true, reject: false },
      );
      let output = '';
      running.all.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const ready = await poll(async () => JSON.parse(await readFile(readyFile, 'utf8')) as Ready, 30_000);
      const childPid = await poll(async () => {
        const match = /OUT child (\d+)/.exec(output);
        return match ? Number(match[1]) : undefined;
      }, 10_000).catch((error: unknown) => {
        throw new Error(`no child pid in: ${output}`, { cause: error });
      });
      expect(ready.instances[0]!.processes.length).toBeGreaterThan(0);
      if (process.getuid?.() === 0) expect(ready.instances[0]!.url).toMatch(/^http:\/\/10\.254\./);
      expect(ready.pid).not.toBe(running.pid);

      await end(ready.pid);
      await running;
      const left = await poll(async () => {
        const now = await leftovers(ready, childPid);
        return now.length === 0 ? now : undefined;
      }, 15_000).catch(() => leftovers(ready, childPid));
      expect(left).toEqual([]);
    }, 60_000);
  }
});
