/**
 * scripts/release.sh end to end: both zips of a version, their sha256 files, and the release
 * notes from the CHANGELOG, built from a buildpack tree whose dependencies a local server serves.
 */
import { execa } from 'execa';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tutorialBuildpack, withDocs } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { tempDir } from '../support/tmp.js';

const RELEASE_SH = join(REPO_ROOT, 'scripts', 'release.sh');
let server: TestServer;
let source: string;

beforeAll(async () => {
  server = await startServer();
  source = await withDocs(await tutorialBuildpack(server));
  await writeFile(join(source, 'VERSION'), '3.4.5\n');
  await writeFile(
    join(source, 'CHANGELOG.md'),
    '# Changelog\n\n## [Unreleased]\n\n- not yet\n\n## [3.4.5] - 2026-12-05\n\n### Added\n- a thing\n\n## [3.4.4] - 2026-11-01\n\n- older\n',
  );
}, 120_000);
afterAll(() => server.close());

describe('scripts/release.sh', () => {
  it('builds the offline and online zips, a sha256 file for each, and the notes of the version', async () => {
    const output = await tempDir('release-');
    const cacheDir = await tempDir('release-cache-');
    const result = await execa(
      RELEASE_SH,
      ['--source', source, '--output', output, '--cache-dir', cacheDir],
      {
        reject: false,
        all: true,
      },
    );
    expect(result.exitCode, result.all).toBe(0);
    expect((await readdir(output)).sort()).toEqual([
      'RELEASE_NOTES.md',
      'sidecar_buildpack-cached-cflinuxfs4-v3.4.5.zip',
      'sidecar_buildpack-cached-cflinuxfs4-v3.4.5.zip.sha256',
      'sidecar_buildpack-cflinuxfs4-v3.4.5.zip',
      'sidecar_buildpack-cflinuxfs4-v3.4.5.zip.sha256',
    ]);
    const check = await execa(
      'sha256sum',
      ['-c', ...(await readdir(output)).filter((f) => f.endsWith('.sha256'))],
      {
        cwd: output,
      },
    );
    expect(check.stdout).toBe(
      'sidecar_buildpack-cached-cflinuxfs4-v3.4.5.zip: OK\nsidecar_buildpack-cflinuxfs4-v3.4.5.zip: OK',
    );
    expect(await readFile(join(output, 'RELEASE_NOTES.md'), 'utf8')).toBe(
      '# sidecar-buildpack v3.4.5\n\n### Added\n- a thing\n',
    );
    expect(result.stdout).toContain('git tag -a v3.4.5');
  }, 180_000);

  it('refuses a VERSION without its CHANGELOG section before building anything', async () => {
    const output = await tempDir('release-');
    await writeFile(join(source, 'VERSION'), '3.4.6\n');
    try {
      const result = await execa(RELEASE_SH, ['--source', source, '--output', output], {
        reject: false,
        all: true,
      });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(
        `**ERROR** ${source}/CHANGELOG.md: no section "## [3.4.6]" for the VERSION file's 3.4.6`,
      );
      expect(await readdir(output)).toEqual([]);
    } finally {
      await writeFile(join(source, 'VERSION'), '3.4.5\n');
    }
  });
});
