/**
 * A hostile app dir: links and special files where the buildpack reads its config or writes its
 * profile script. The buildpack reads only regular files inside the app and writes only real
 * files inside it, never through a link; each refusal is one clear error, and nothing outside is
 * read, written or removed.
 */
import { execa } from 'execa';
import { lstat, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAtomically } from '../../src/fs/write-atomically.js';
import { FIXTURES, tutorialBuildpackForFile } from '../support/buildpack.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';
import { tempDir } from '../support/tmp.js';

const APP = join(FIXTURES, 'apps', 'config-server-app');
const SECRET = 'hunter2-do-not-print';
const setup = tutorialBuildpackForFile();

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('a hostile app dir', () => {
  it('never makes a file outside the app executable through an app-files sidecar command', async () => {
    const dirs = await stagingDirs();
    const outside = join(await tempDir('outside-'), 'theirs');
    await writeFile(outside, 'not yours\n', { mode: 0o600 });
    await symlink(outside, join(dirs.buildDir, 'agent'));
    await writeFile(
      join(dirs.buildDir, 'sidecars.yml'),
      'sidecars:\n  - name: agent\n    command: ./agent\n    memory: 32M\n  - name: gone\n    command: ./bin/gone --flag\n    memory: 32M\n',
    );
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
    expect((await lstat(outside)).mode & 0o777).toBe(0o600);
    expect(result.stdout).toContain(
      '       **WARNING** agent: ./agent is a link that leads outside the app; it was left as it is',
    );
    expect(result.stdout).toContain(
      '       **WARNING** gone: its command starts with ./bin/gone, which is not in the app',
    );
  });

  it('refuses a symlinked .profile.d before writing anything, and leaves its target alone', async () => {
    const dirs = await stagingDirs(APP);
    const outside = await tempDir('outside-');
    await writeFile(join(outside, 'sidecar_buildpack.sh'), 'theirs\n');
    await symlink(outside, join(dirs.buildDir, '.profile.d'));
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '       **ERROR** .profile.d: is a symlink: sidecar_buildpack writes its profile script only into a real .profile.d directory of the app',
    );
    noStackTrace(result.all);
    expect(await readFile(join(outside, 'sidecar_buildpack.sh'), 'utf8')).toBe('theirs\n');
    expect(await readdir(outside)).toEqual(['sidecar_buildpack.sh']);
    expect(await readdir(join(dirs.depsDir, '0'))).toEqual([]);
  });

  it('refuses a directory of the app where the profile script goes, and leaves it and its files alone', async () => {
    const dirs = await stagingDirs(APP);
    const theirs = join(dirs.buildDir, '.profile.d', 'sidecar_buildpack.sh');
    await mkdir(theirs, { recursive: true });
    await writeFile(join(theirs, 'keep.txt'), 'theirs\n');
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '       **ERROR** .profile.d/sidecar_buildpack.sh: is a directory of the app, where sidecar_buildpack writes a script of its own; it is left as it is',
    );
    noStackTrace(result.all);
    expect(result.all).not.toContain('This is a bug');
    expect(await readFile(join(theirs, 'keep.txt'), 'utf8')).toBe('theirs\n');
    expect(await readdir(join(dirs.depsDir, '0'))).toEqual([]);
  });

  it.each([
    [
      'a file outside the app',
      async () => {
        const file = join(await tempDir('outside-'), 'secrets.yml');
        await writeFile(file, `sidecars: [${SECRET}]\n`);
        return file;
      },
    ],
    ['/proc/self/environ', async () => '/proc/self/environ'],
  ])('refuses a sidecars.yml linked to %s without reading it', async (_what, target) => {
    const dirs = await stagingDirs(APP);
    const { rm } = await import('node:fs/promises');
    await rm(join(dirs.buildDir, 'sidecars.yml'));
    await symlink(await target(), join(dirs.buildDir, 'sidecars.yml'));
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs), {
      env: { APP_TOKEN: SECRET },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '       **ERROR** sidecars.yml: is a symlink that leads outside the app: it is not read',
    );
    expect(result.all).not.toContain(SECRET);
    noStackTrace(result.all);
  });

  it.each([
    ['a file that does not exist', 'gone.yml', 'is a symlink to a file that does not exist'],
    ['itself, a loop', 'sidecars.yml', 'is a symlink in a loop of links: it leads nowhere'],
  ])('names a sidecars.yml linked to %s, in supply and in detect', async (_what, target, problem) => {
    const dirs = await stagingDirs(APP);
    const { rm } = await import('node:fs/promises');
    await rm(join(dirs.buildDir, 'sidecars.yml'));
    await rm(join(dirs.buildDir, 'Procfile'));
    await symlink(target, join(dirs.buildDir, 'sidecars.yml'));
    const supply = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
    expect(supply.exitCode).toBe(1);
    expect(supply.stdout).toContain(`       **ERROR** sidecars.yml: ${problem}`);
    // Not taken for "no sidecars.yml": detect says why it does not claim the app.
    const detect = await runPhase(setup.buildpack, 'detect', [dirs.buildDir]);
    expect(detect.exitCode).toBe(1);
    expect(detect.stderr).toContain(
      `**WARNING** sidecars.yml: ${problem}; sidecar_buildpack does not claim the app`,
    );
  });

  it('reads a sidecars.yml linked to a file inside the app', async () => {
    const dirs = await stagingDirs(APP);
    const { rename } = await import('node:fs/promises');
    await mkdir(join(dirs.buildDir, 'config'));
    await rename(join(dirs.buildDir, 'sidecars.yml'), join(dirs.buildDir, 'config', 'sidecars.yml'));
    await symlink('config/sidecars.yml', join(dirs.buildDir, 'sidecars.yml'));
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
  });

  it('refuses a FIFO named sidecars.yml at once, in detect and supply, instead of blocking', async () => {
    const dirs = await stagingDirs(APP);
    const { rm } = await import('node:fs/promises');
    await rm(join(dirs.buildDir, 'sidecars.yml'));
    await execa('mkfifo', [join(dirs.buildDir, 'sidecars.yml')]);
    const supply = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
    expect(supply.exitCode).toBe(1);
    expect(supply.stdout).toContain('**ERROR** sidecars.yml: is a FIFO, not a regular file: it is not read');
    // detect claims the app by its Procfile without opening sidecars.yml, so nothing blocks it.
    const detect = await runPhase(setup.buildpack, 'detect', [dirs.buildDir]);
    expect([detect.exitCode, detect.stdout]).toEqual([0, 'sidecar']);
    // Without a Procfile it must read sidecars.yml for a start command, and refuses the FIFO.
    await rm(join(dirs.buildDir, 'Procfile'));
    const declined = await runPhase(setup.buildpack, 'detect', [dirs.buildDir], { env: { BP_DEBUG: '1' } });
    expect(declined.exitCode).toBe(1);
    expect(declined.stderr).toContain('sidecars.yml: is a FIFO, not a regular file');
  }, 60_000);

  it('refuses an oversized sidecars.yml with its size, before parsing it', async () => {
    const dirs = await stagingDirs(APP);
    let text = 'sidecars:\n  - name: a\n    memory: 64M\n    env:\n';
    for (let i = 0; text.length < 80 * 1024; i++) text += `      K${i}: v${i}\n`;
    await writeFile(join(dirs.buildDir, 'sidecars.yml'), text);
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      `       **ERROR** sidecars.yml: is ${text.length} bytes; at most 65536 are read`,
    );
  });
});

describe('writeAtomically in a hostile dir', () => {
  it('never writes through a symlink planted at its temp name or at the file itself', async () => {
    const dir = await tempDir('app-');
    const outside = join(await tempDir('outside-'), 'victim');
    await writeFile(outside, 'untouched\n');
    const path = join(dir, 'sidecar_buildpack.sh');
    // A link at the temp name this function once used: the app's file, left alone.
    await symlink(outside, `${path}.tmp-${process.pid}`);
    await symlink(outside, path);
    await writeAtomically(path, 'ours\n');
    expect(await readFile(outside, 'utf8')).toBe('untouched\n');
    expect((await lstat(path)).isFile()).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('ours\n');
    expect((await readdir(dir)).sort()).toEqual([
      'sidecar_buildpack.sh',
      `sidecar_buildpack.sh.tmp-${process.pid}`,
    ]);
  });
});

describe('a full app dir', () => {
  // The profile script is written late, into the app dir: a full disk there is one clear error.
  it.skipIf(process.getuid?.() !== 0)('says the disk is full, and leaves no temp file', async () => {
    const dir = await tempDir('full-app-');
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    try {
      await writeFile(join(dir, 'filler'), Buffer.alloc(60 * 1024)).catch(() => undefined);
      await expect(writeAtomically(join(dir, 'sidecar_buildpack.sh'), 'x'.repeat(32 * 1024))).rejects.toThrow(
        /^no space left on the device to write sidecar_buildpack\.sh/,
      );
      expect(await readdir(dir)).toEqual(['filler']);
    } finally {
      await execa('umount', [dir]);
    }
  });
});

describe('a full deps dir', () => {
  // DEPS_DIR/0 on a tmpfs with room for N inodes: supply fails at every step in turn, from the
  // sidecar's unpacking to its last run-time file (a successful staging makes 26 of them).
  it.skipIf(process.getuid?.() !== 0)(
    'leaves DEPS_DIR/<index> as it found it, whichever write the disk refuses',
    async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 26 }, async (_, n) => {
          const inodes = n + 2;
          const dirs = await stagingDirs(APP);
          const deps = join(dirs.depsDir, '0');
          await execa('mount', ['-t', 'tmpfs', '-o', `size=16m,nr_inodes=${inodes}`, 'tmpfs', deps]);
          try {
            const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
            const left = (await execa('find', ['.'], { cwd: deps })).stdout.split('\n').sort();
            return { inodes, exitCode: result.exitCode, stdout: result.stdout, left };
          } finally {
            await execa('umount', [deps]);
          }
        }),
      );
      const failed = outcomes.filter((o) => o.exitCode !== 0);
      // Every step up to the last file fails; the last budgets stage.
      expect(failed.length).toBeGreaterThan(20);
      expect(outcomes.at(-1)?.exitCode).toBe(0);
      for (const outcome of failed) {
        expect(outcome.left, `${outcome.inodes} inodes`).toEqual(['.']);
        expect(outcome.stdout, `${outcome.inodes} inodes`).toMatch(
          /\*\*ERROR\*\* .*no space left on the device/,
        );
        expect(outcome.stdout).not.toContain('This is a bug');
        noStackTrace(outcome.stdout);
      }
    },
    120_000,
  );
});

describe('download settings', () => {
  it.each([
    ['SIDECAR_DOWNLOAD_TIMEOUT', '3000000', 3600],
    ['SIDECAR_DOWNLOAD_TIMEOUT', 'Infinity', 3600],
    ['SIDECAR_DOWNLOAD_DEADLINE', '0', 86400],
    ['SIDECAR_DOWNLOAD_DEADLINE', '1e9', 86400],
  ])('refuses %s=%s, which would overflow or disable the timer', async (name, value, max) => {
    const dirs = await stagingDirs(APP);
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs), { env: { [name]: value } });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      `       **ERROR** $${name}: ${JSON.stringify(value)} is not a number of seconds from 1 to ${max}`,
    );
    expect(await readdir(join(dirs.depsDir, '0'))).toEqual([]);
  });
});

describe('an artifact without the command it is run with', () => {
  it('warns that the command is not there when a download installs as one file', async () => {
    const body = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
    setup.server.route('/bare/agent', (_req, res) => void res.writeHead(200).end(body));
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(body).digest('hex');
    const dirs = await stagingDirs();
    await writeFile(
      join(dirs.buildDir, 'sidecars.yml'),
      `sidecars:\n  - name: agent\n    uri: ${setup.server.url}/bare/agent\n    sha256: ${sha}\n    command: ./bin/agent --serve\n    memory: 64M\n`,
    );
    const result = await runPhase(setup.buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain(
      '       **WARNING** agent: its command starts with ./bin/agent, which the artifact (installed as one file, agent) does not hold: the sidecar will fail at launch unless something creates it first',
    );
  });
});

describe('a manifest sha256 in upper case', () => {
  it('is the same pin: the shim and supply accept it', async () => {
    const { makeTestBuildpack, serveFixtureSidecar, serveNodeRuntime } =
      await import('../support/buildpack.js');
    const node = await serveNodeRuntime(setup.server);
    const sidecar = await serveFixtureSidecar(setup.server);
    const upper = await makeTestBuildpack({
      dependencies: [
        { ...node, sha256: node.sha256.toUpperCase() },
        { ...sidecar, sha256: sidecar.sha256.toUpperCase() },
      ],
    });
    const dirs = await stagingDirs(APP);
    const result = await runPhase(upper, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('sha256 verified');
    expect(result.all).not.toContain('mismatch');
  });
});
