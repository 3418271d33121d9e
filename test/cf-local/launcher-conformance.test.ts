/**
 * cf-local's launcher against the real one: each case of fixtures/conformance/launcher.json was
 * run by Cloud Foundry's own launcher (built from its source, outside this repository) as Diego
 * runs a process, `cd /home/vcap && launcher app COMMAND ""`, and what it did recorded there.
 * cf-local's launch of the same command, env and droplet must do exactly the same: the same
 * "Invoking" lines, profile scripts with the same $0/$1/$2 and working dir, the same environment
 * for the command (HOME, TMPDIR, DEPS_DIR, VCAP_APPLICATION's added fields in Go's key order,
 * DATABASE_URL, VCAP_PLATFORM_OPTIONS gone) and the same exit status.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseHome, normalise, type LauncherCase } from '../../tools/conformance/launcher-cases.js';
import { launch, readEntrypointPrefix } from '../../tools/cf-local/run/launcher-script.js';
import { FIXTURES } from '../support/buildpack.js';
import { tempDir } from '../support/tmp.js';

const corpus = JSON.parse(await readFile(join(FIXTURES, 'conformance', 'launcher.json'), 'utf8')) as {
  cases: LauncherCase[];
};

describe('cf-local launches processes as the real launcher did (recorded)', () => {
  it('has recorded cases for the prefix, services, odd env and a sidecar launch', () => {
    expect(corpus.cases.map((c) => c.case)).toEqual(
      expect.arrayContaining(['plain', 'entrypoint-prefix', 'mysql-service', 'odd-port', 'sidecar-command']),
    );
    for (const c of corpus.cases) expect(c.launcher.stdout[0], c.case).toBe('Invoking pre-start scripts.');
  });

  for (const recorded of corpus.cases) {
    it(`${recorded.case}: ${recorded.description}`, async () => {
      const home = join(await tempDir('launch-'), 'home');
      await caseHome(home, recorded);
      const started = launch(home, recorded.command, recorded.env, await readEntrypointPrefix(home));
      const run = spawnSync('bash', started.args, { cwd: started.cwd, env: started.env, encoding: 'utf8' });
      expect({
        exitCode: run.status,
        stdout: normalise(run.stdout, home),
        stderr: normalise(run.stderr, home),
      }).toEqual(recorded.launcher);
    });
  }
});
