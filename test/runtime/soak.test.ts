/**
 * Soak: random kills and stops of supervised sidecars. Each round starts an app process and a
 * supervised bash sidecar (a random restart policy and stop grace; the sidecar keeps a child of
 * its own), hits it with 0-3 random blows (kill -9 or SIGTERM of the sidecar or its child) at
 * random moments, then stops the container as Garden does: SIGTERM to the app and to the
 * supervisor's pid or process group. A stop that takes longer than Cloud Foundry's 10 s is hung;
 * any process still carrying the round's marker after the supervisor exited is an orphan.
 *
 * CI runs SOAK_ROUNDS=24 (the default); `npm run soak` runs 200.
 */
import { readFile, readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { RestartOptions } from '../../src/config/runtime-options-types.js';
import { launch, serveCommand, supervisedSidecar } from './launcher.js';
import { freePort } from '../support/net.js';

const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 24);
const PARALLEL = 4;
const NAME = 'soaked';

/** Pids of processes whose environment holds `marker`. */
async function marked(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const env = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '');
    if (env.split('\0').includes(marker)) found.push(Number(entry));
  }
  return found;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  round: number;
  stopMs: number;
  orphans: number[];
  blows: string[];
  policy: string;
}

async function round(index: number): Promise<Outcome> {
  const marker = `SOAK_MARK=${process.pid}-${index}-${Math.random().toString(36).slice(2)}`;
  const restart: RestartOptions = pick([
    { policy: 'never' },
    { policy: 'on-failure', maxRestarts: 5, withinSeconds: 600 },
    { policy: 'always', maxRestarts: 5, withinSeconds: 600 },
  ]);
  const grace = pick([0, 1, 2]);
  const { droplet, command } = await supervisedSidecar(
    NAME,
    // exec env: the marker is in the sidecar's own /proc/PID/environ, not only its children's.
    `exec env ${marker} bash -c "trap 'exit 0' TERM; while :; do sleep 5 & wait; done"`,
    {
      runtime: {
        restart,
        ...(grace ? { stop: { graceSeconds: grace } } : {}),
      },
      tweak: (s) => (s.restart.backoff = { initialSeconds: 1, maxSeconds: 2, resetAfterSeconds: 5 }),
    },
  );
  const app = launch(droplet, serveCommand({ LISTEN_PORT: await freePort() }));
  const target = pick(['pid', 'group'] as const);
  const side = launch(droplet, command, { detached: target === 'group' });
  const blows: string[] = [];
  for (let i = pick([0, 1, 2, 3]); i > 0; i--) {
    await sleep(pick([0, 100, 400, 900, 1500]));
    const pids = await marked(marker);
    if (pids.length === 0) continue;
    const blow = pick(['SIGKILL', 'SIGTERM'] as const);
    const victim = pick(pids);
    blows.push(`${blow} ${victim === Math.min(...pids) ? 'sidecar' : 'its child'}`);
    try {
      process.kill(victim, blow);
    } catch {
      // gone meanwhile
    }
  }
  await sleep(pick([0, 200, 700]));
  const sent = Date.now();
  try {
    process.kill(app.pid as number, 'SIGTERM');
  } catch {
    // exited
  }
  try {
    process.kill(target === 'group' ? -(side.pid as number) : (side.pid as number), 'SIGTERM');
  } catch {
    // the supervisor may have exited already (policy never, or a spent budget)
  }
  // The supervisor's exit, not the end of its output: an orphan would hold the pipe open.
  const exited = side.exitCode !== null ? Promise.resolve() : new Promise((r) => side.once('exit', r));
  const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  const stopMs = done ? Date.now() - sent : Infinity;
  if (!done) side.kill('SIGKILL');
  await sleep(200);
  const orphans = await marked(marker);
  for (const pid of orphans) process.kill(pid, 'SIGKILL');
  await side;
  await app;
  return { round: index, stopMs, orphans, blows, policy: restart.policy };
}

describe('soak: random kills and stops', () => {
  it(
    `${ROUNDS} rounds: no orphan, no hung stop`,
    async () => {
      const outcomes: Outcome[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          while (next < ROUNDS) outcomes.push(await round(next++));
        }),
      );
      const hung = outcomes.filter((o) => o.stopMs > 10_000);
      const orphaned = outcomes.filter((o) => o.orphans.length > 0);
      const slowest = Math.max(...outcomes.map((o) => o.stopMs));
      const blows = outcomes.reduce((n, o) => n + o.blows.length, 0);
      console.log(
        `soak: ${outcomes.length} rounds, ${blows} kills, ${hung.length} hung stops, ${orphaned.length} rounds with orphans, slowest stop ${slowest} ms`,
      );
      expect(outcomes).toHaveLength(ROUNDS);
      expect(hung, JSON.stringify(hung)).toEqual([]);
      expect(orphaned, JSON.stringify(orphaned)).toEqual([]);
    },
    ROUNDS * 15_000,
  );
});
