/**
 * Sidecars that fail alone, on cf-local as Diego runs a container (any process exit crashes it;
 * a memory cgroup where the machine allows one): a killed sidecar is restarted in place while
 * the app serves on, a leaking one is killed instead of the app, and one that can never start
 * still crashes the container once its budget is spent. `restart: never` keeping the platform's
 * behaviour (kill -9 crashes the instance) is the tutorial test.
 */
import { readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stage, type RunningApp } from '../../tools/cf-local/index.js';
import { tutorialBuildpack } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { waitForHttp } from '../support/net.js';
import { tempDir } from '../support/tmp.js';
import { BINARY_BUILDPACK, poll, tutorialApp, withRunningApp } from './support/apps.js';

interface SidecarStatus {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
  last_exit: { status: number; reason: string } | null;
}

/** `sidecars --json` in the instance's container, as from a bare `cf ssh` (the stable path). */
async function sidecars(app: RunningApp): Promise<SidecarStatus[]> {
  const { home } = app.instance(0);
  const run = await execa(join(home, 'app', '.sidecar_buildpack', 'bin', 'sidecars'), ['--json'], {
    env: { VCAP_APPLICATION: JSON.stringify({ process_type: 'web' }) },
  });
  return JSON.parse(run.stdout) as SidecarStatus[];
}

const webPid = (app: RunningApp) => app.instance(0).processes.find((p) => !p.isSidecar)?.pid;

describe('sidecars that fail alone (cf-local)', () => {
  let server: TestServer;
  let buildpack: string;

  beforeAll(async () => {
    server = await startServer();
    buildpack = await tutorialBuildpack(server);
  });
  afterAll(() => server?.close());

  /** The tutorial app with its sidecars.yml edited by `edit`, and `files` added; staged. */
  async function staged(
    edit: (sidecars: Record<string, unknown>[]) => void,
    files: Record<string, string> = {},
  ): Promise<string> {
    const app = await tutorialApp();
    const file = join(app.dir, 'sidecars.yml');
    const doc = parse(await readFile(file, 'utf8')) as { sidecars: Record<string, unknown>[] };
    edit(doc.sidecars);
    await writeFile(file, stringify(doc));
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(app.dir, name), text);
      await chmod(join(app.dir, name), 0o755);
    }
    const result = await stage({
      appDir: app.dir,
      buildpacks: [buildpack, BINARY_BUILDPACK],
      env: app.env,
      cacheDir: await tempDir('cache-'),
      outDir: await tempDir('staged-'),
    });
    if (!result.ok) throw new Error(result.log.join('\n'));
    return result.stagedDir;
  }

  it('kill -9 of the sidecar: restarted in place, the app serves every request meanwhile', async () => {
    const stagedDir = await staged((s) => Object.assign(s[0] as object, { restart: 'on-failure' }));
    await withRunningApp({ stagedDir, memory: '512M' }, async (app) => {
      await app.waitUntilRunning();
      await waitForHttp(`${app.url()}/config`, 10_000);
      const web = webPid(app);
      const [before] = await sidecars(app);
      expect(before).toMatchObject({ name: 'config-server', state: 'running', restarts: 0 });

      // A client on the app's own endpoint for the whole restart.
      let requests = 0;
      const failures: string[] = [];
      let looping = true;
      const client = (async () => {
        while (looping) {
          requests++;
          await fetch(`${app.url()}/`).then(
            (r) => (r.ok ? undefined : failures.push(`HTTP ${r.status}`)),
            (e: unknown) => failures.push(String(e)),
          );
          await new Promise((r) => setTimeout(r, 10));
        }
      })();

      process.kill(before?.pid as number, 'SIGKILL');
      const after = await poll(async () => {
        const [now] = await sidecars(app);
        return now?.restarts === 1 && now.state === 'running' ? now : undefined;
      }, 15_000);
      const body = await waitForHttp(`${app.url()}/config`, 10_000);
      looping = false;
      await client;

      console.log(`requests during the sidecar's restart: ${requests}, failed: ${failures.length}`);
      expect(requests).toBeGreaterThan(20);
      expect(failures).toEqual([]);
      expect(JSON.parse(body)).toMatchObject({ Scope: 'config-server-sidecar' });
      expect(after.pid).not.toBe(before?.pid);
      expect(after.last_exit).toEqual({ status: 137, reason: 'killed by SIGKILL' });
      expect(app.instance(0).crashCount).toBe(0);
      expect(webPid(app)).toBe(web);
      expect(app.logs).toContainEqual(
        expect.objectContaining({
          source: 'APP/PROC/WEB/SIDECAR/CONFIG-SERVER',
          text: '[sidecar-buildpack] config-server: exited with status 137 (killed by SIGKILL); restart 1 of 5 within 10m, in 1s',
        }),
      );
    });
  });

  it('a leaking sidecar in a 256M container: the sidecar is killed and restarted, the app lives', async (context) => {
    // Grows by 16 MB every 100 ms and holds it: past its 64M within a second, past the
    // container's 256M within two.
    const leak = [
      '#!/usr/bin/env python3',
      'import time',
      'held = []',
      'while True:',
      "    held.append(bytearray(b'x' * 16 * 1024 * 1024))",
      '    time.sleep(0.1)',
    ].join('\n');
    const stagedDir = await staged(
      (s) => s.push({ name: 'leaky', command: './leak.py', memory: '64M', restart: 'on-failure' }),
      { 'leak.py': leak },
    );
    await withRunningApp({ stagedDir, memory: '256M' }, async (app) => {
      if (app.memoryLimit.startsWith('not enforced')) {
        context.skip(`no memory cgroup here (${app.memoryLimit})`);
      }
      await app.waitUntilRunning();
      const web = webPid(app);
      const restart = await app.waitForLog(/leaky: exited with status \d+ \(.*\); restart 1 of 5/, 20_000);
      console.log(`leaking sidecar: ${restart.text}`);
      expect(restart.text).toMatch(
        /\((killed by the kernel: the container ran out of memory|stopped: over its 64M)\)/,
      );
      expect(app.instance(0).crashCount).toBe(0);
      expect(webPid(app)).toBe(web);
      expect(await (await fetch(`${app.url()}/`)).text()).toBe('config-server-app is up\n');
    });
  });

  it('a sidecar that can never start: the back-off, then the container crashes with the platform line', async () => {
    const stagedDir = await staged(
      (s) =>
        s.push({
          name: 'broken',
          command: './broken.sh',
          memory: '16M',
          restart: { policy: 'on-failure', max_restarts: 2, within: '1m' },
        }),
      { 'broken.sh': '#!/usr/bin/env bash\necho "broken: cannot start" >&2\nexit 3\n' },
    );
    await withRunningApp({ stagedDir, memory: '512M', restart: false }, async (app) => {
      const crash = await app.waitForLog('App instance exited', 20_000);
      expect(crash.text).toContain('"exit_description"=>"APP/PROC/WEB/SIDECAR/BROKEN: Exited with status 3"');
      const lines = app.logs.filter(
        (l) => l.source === 'APP/PROC/WEB/SIDECAR/BROKEN' && l.text.startsWith('[sidecar-buildpack] broken:'),
      );
      expect(lines.map((l) => l.text)).toEqual([
        '[sidecar-buildpack] broken: exited with status 3 (failed); restart 1 of 2 within 1m, in 1s',
        '[sidecar-buildpack] broken: exited with status 3 (failed); restart 2 of 2 within 1m, in 2s',
        '[sidecar-buildpack] broken: **ERROR** exited with status 3 (failed) after 2 restarts within 1m; exiting with its status so that Cloud Foundry restarts the container',
      ]);
      const gaps = lines
        .slice(1)
        .map((l, i) => l.time.getTime() - (lines[i] as { time: Date }).time.getTime());
      console.log(`back-off seen by cf-local: ${gaps.join(', ')} ms`);
      expect(gaps[0]).toBeGreaterThanOrEqual(950);
      expect(gaps[1]).toBeGreaterThanOrEqual(1950);
    });
  });
});
