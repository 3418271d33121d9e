/**
 * The cf-local command line as a user runs it: `stage` prints the staging log and the staged
 * directory, `run` logs tagged lines until SIGTERM and then leaves no process behind.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/buildpack.js';
import { waitForHttp } from '../support/net.js';
import { tempDir } from '../support/tmp.js';
import { alive, BINARY_BUILDPACK, poll } from '../integration/support/apps.js';

const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(REPO_ROOT, 'tools', 'cf-local', 'cli.ts');

describe('cf-local command line', () => {
  it('stages, runs until SIGTERM, and stops every process', async () => {
    const app = await tempDir('cli-app-');
    await writeFile(
      join(app, 'Procfile'),
      'web: echo "pid $$"; exec python3 -m http.server "$PORT" --bind 0.0.0.0\n',
    );
    const out = await tempDir('cli-staged-');
    const staged = await execa(
      TSX,
      [CLI, 'stage', app, '-b', BINARY_BUILDPACK, '--out', out, '--cache-dir', await tempDir('c-')],
      {
        all: true,
        reject: false,
      },
    );
    expect(staged.exitCode, staged.all).toBe(0);
    expect(staged.stdout.split('\n')).toEqual(['-----> Binary Buildpack version 1.0.0', out]);
    expect(staged.stderr).toContain('cf-local: process types: web');

    const ready = join(await tempDir('cli-ready-'), 'ready.json');
    const running = execa(
      TSX,
      [CLI, 'run', out, '--memory', '256M', '--stop-grace', '1', '--ready-file', ready],
      {
        all: true,
        reject: false,
      },
    );
    try {
      const { instances } = await poll(
        async () => JSON.parse(await readFile(ready, 'utf8')) as { instances: Array<{ url: string }> },
        15_000,
      );
      await waitForHttp(instances[0]!.url, 5000);
    } finally {
      running.kill('SIGTERM');
    }
    const result = await running;
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+\+0000 \[CELL\/0\] OUT Container became healthy$/m,
    );
    expect(result.stdout).toMatch(/\[CELL\/0\] OUT Cell cf-local successfully destroyed container/);
    const pid = Number(/\[APP\/PROC\/WEB\/0\] OUT pid (\d+)/.exec(result.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(alive([pid])).toEqual([]);
  });

  it('stops every process when the npm that started it gets SIGTERM and exits alone', async () => {
    const app = await tempDir('npm-app-');
    await writeFile(join(app, 'Procfile'), 'web: exec python3 -m http.server "$PORT" --bind 0.0.0.0\n');
    const out = await tempDir('npm-staged-');
    const staged = await execa(TSX, [CLI, 'stage', app, '-b', BINARY_BUILDPACK, '--out', out], {
      reject: false,
      all: true,
    });
    expect(staged.exitCode, staged.all).toBe(0);
    const ready = join(await tempDir('npm-ready-'), 'ready.json');
    // npm, then sh -c, then tsx, then cf-local: only npm gets the signal, as from a harness.
    const npm = execa(
      'npm',
      ['run', '--silent', 'cf-local', '--', 'run', out, '--stop-grace', '1', '--ready-file', ready],
      {
        cwd: REPO_ROOT,
        reject: false,
        all: true,
      },
    );
    const { instances } = await poll(
      async () =>
        JSON.parse(await readFile(ready, 'utf8')) as {
          instances: Array<{ processes: Array<{ pid: number }> }>;
        },
      30_000,
    );
    const pids = instances.flatMap((i) => i.processes.map((p) => p.pid));
    expect(alive(pids)).toEqual(pids);
    npm.kill('SIGTERM');
    await npm;
    await poll(async () => (alive(pids).length === 0 ? true : undefined), 20_000);
    expect(alive(pids)).toEqual([]);
  }, 90_000);

  it('exits with the lifecycle code and a usage line for what it cannot do', async () => {
    const usage = await execa(TSX, [CLI, 'run'], { reject: false });
    expect(usage.exitCode).toBe(64);
    expect(usage.stderr).toContain('cf-local: run needs STAGED_DIR');
    const app = await tempDir('cli-app-');
    const failed = await execa(
      TSX,
      [CLI, 'stage', app, '--system-buildpack', BINARY_BUILDPACK, '--out', await tempDir('o-')],
      {
        reject: false,
      },
    );
    expect(failed.exitCode).toBe(222);
    expect(failed.stdout).toBe('None of the buildpacks detected a compatible application');
  });

  it('answers --help of each command, and names a wrong staged dir or process type in one line', async () => {
    for (const command of ['stage', 'run']) {
      const help = await execa(TSX, [CLI, command, '--help'], { all: true, reject: false });
      expect(help.exitCode, help.all).toBe(0);
      expect(help.stdout).toContain('cf-local stage');
    }
    const missing = await execa(TSX, [CLI, 'run', '/nonexistent'], { all: true, reject: false });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('cf-local: failed to read result.json in /nonexistent');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const noApp = await execa(TSX, [CLI, 'stage', '/nonexistent/app', '-b', '.'], {
      all: true,
      reject: false,
    });
    expect(noApp.exitCode).toBe(64);
    expect(noApp.stderr.split('\n')[0]).toBe(
      'cf-local: /nonexistent/app: no such directory (the app to stage)',
    );

    const app = await tempDir('cli-app-');
    await writeFile(join(app, 'Procfile'), 'web: sleep 1\n');
    const out = await tempDir('cli-staged-');
    const staged = await execa(
      TSX,
      [CLI, 'stage', app, '-b', BINARY_BUILDPACK, '--out', out, '--cache-dir', await tempDir('c-')],
      {
        reject: false,
      },
    );
    expect(staged.exitCode).toBe(0);
    const noWorker = await execa(TSX, [CLI, 'run', out, '--process', 'worker'], {
      all: true,
      reject: false,
      timeout: 20_000,
    });
    expect(noWorker.exitCode).toBe(1);
    expect(noWorker.stderr).toMatch(/^cf-local: .*worker/m);
    expect(noWorker.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("stages docs/cf-local.md's example as printed", async () => {
    const section = await readFile(join(REPO_ROOT, 'docs', 'cf-local.md'), 'utf8');
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const work = await tempDir('readme-example-');
    const script = block
      .split('\n')
      .filter((line) => !line.startsWith('npm run build') && !line.includes(' run /tmp/my-app'))
      .join('\n')
      .replaceAll('/tmp/tutorial', join(work, 'tutorial'))
      .replaceAll('/tmp/my-app', join(work, 'my-app'));
    expect(script).toContain('cf-local -- stage');
    const staged = await execa('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: REPO_ROOT,
      all: true,
      reject: false,
    });
    expect(staged.exitCode, staged.all).toBe(0);
    expect(staged.stderr).toContain('cf-local: sidecars: config-server (web, 256M)');
    expect(JSON.parse(await readFile(join(work, 'my-app', 'result.json'), 'utf8')).sidecars).toEqual([
      expect.objectContaining({ name: 'config-server', memory: 256 }),
    ]);
  }, 120_000);
});
