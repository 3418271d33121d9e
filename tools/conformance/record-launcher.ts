/**
 * Records the launcher cases of fixtures/conformance/launcher.json with Cloud Foundry's REAL
 * launcher (buildpackapplifecycle, built from its source outside this repository; see
 * fixtures/README.md). Keeps each case's inputs and replaces its `launcher` outputs:
 *
 *   REAL_LAUNCHER=/path/to/launcher tsx tools/conformance/record-launcher.ts
 *
 * Each case runs as Diego runs a process: `cd /home/vcap && launcher app COMMAND ""`, with exactly
 * the case's env.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAUNCHER_PATH } from '../cf-local/run/launcher-script.js';
import { caseHome, normalise, type LauncherCase } from './launcher-cases.js';

const corpusFile = new URL('../../fixtures/conformance/launcher.json', import.meta.url);
const launcher = process.env.REAL_LAUNCHER;
if (!launcher) throw new Error('set REAL_LAUNCHER to the real launcher binary');

const corpus = JSON.parse(await readFile(corpusFile, 'utf8')) as { cases: LauncherCase[] };
const home = join(await mkdtemp(join(tmpdir(), 'record-launcher-')), 'home');
for (const c of corpus.cases) {
  await caseHome(home, c);
  // argv0 as on Diego, where the launcher is /tmp/lifecycle/launcher: profile scripts see it as $0.
  const run = spawnSync(launcher, ['app', c.command, ''], {
    argv0: LAUNCHER_PATH,
    cwd: home,
    env: c.env,
    encoding: 'utf8',
  });
  c.launcher = {
    exitCode: run.status ?? -1,
    stdout: normalise(run.stdout, home),
    stderr: normalise(run.stderr, home),
  };
  console.log(`${c.case}: exit ${c.launcher.exitCode}`);
}
await writeFile(corpusFile, JSON.stringify(corpus, null, 2) + '\n');
