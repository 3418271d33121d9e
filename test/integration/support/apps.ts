/**
 * Apps and buildpacks for the integration suite, on top of test/support: the tutorial app with
 * its sidecar on a free port (every test runs in parallel on one host, where Cloud Foundry gives
 * each container its own localhost), and helpers that always stop what a test started.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { expect } from 'vitest';
import { run, type RunningApp, type RunOptions } from '../../../tools/cf-local/index.js';
import { FIXTURES } from '../../support/buildpack.js';
import { freePort } from '../../support/net.js';
import { tempDir } from '../../support/tmp.js';

export const BINARY_BUILDPACK = join(FIXTURES, 'buildpacks', 'binary');
export const TUTORIAL_APP = join(FIXTURES, 'apps', 'config-server-app');
export const AGENT_SUPPLY_BUILDPACK = join(FIXTURES, 'buildpacks', 'agent-supply');

/** Polls `probe` every `intervalMs` until it returns a value (errors count as "not yet"). */
export async function poll<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

interface SidecarsYml {
  sidecars: Array<{ name: string; env?: Record<string, string>; [key: string]: unknown }>;
}

/**
 * A copy of the tutorial app whose config-server listens on a free port; `env` is what the app
 * needs at staging and run time to find it (`cf set-env`).
 */
export async function tutorialApp(): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await tempDir('tutorial-app-');
  await cp(TUTORIAL_APP, dir, { recursive: true });
  const port = String(await freePort());
  const file = join(dir, 'sidecars.yml');
  const doc = parse(await readFile(file, 'utf8')) as SidecarsYml;
  for (const sidecar of doc.sidecars)
    if (sidecar.env?.CONFIG_SERVER_PORT) sidecar.env.CONFIG_SERVER_PORT = port;
  await writeFile(file, stringify(doc));
  return { dir, env: { CONFIG_SERVER_PORT: port } };
}

/** Runs a staged app for the duration of `body`, then stops it and checks nothing is left. */
export async function withRunningApp<T>(
  options: RunOptions,
  body: (app: RunningApp) => Promise<T>,
): Promise<T> {
  const app = await run({ healthCheckTimeoutMs: 20_000, stopGraceMs: 2_000, ...options });
  try {
    return await body(app);
  } finally {
    await app.stop();
    expect(alive(app.startedPids), 'processes left after stop').toEqual([]);
  }
}

/** The pids of `pids` that still exist. */
export function alive(pids: readonly number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}
