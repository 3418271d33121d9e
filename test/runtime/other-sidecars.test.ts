/**
 * Sidecars that other buildpacks declare, at run time: profile.sh must tell their launches from
 * the app's own process (the guard, the ready wait and the pid record are the app's alone) and
 * the guard must reserve their memory too. Those before this buildpack are known from staging
 * (runtime.json, other-sidecars.cmd); those after it are read from their launch.yml at launch.
 */
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { declaredSidecars } from '../../src/launch/declared-sidecars.js';
import { lifecycleYaml } from '../../src/launch/launch-yml.js';
import { shellQuote } from '../../src/launch/shell-quote.js';
import { buildRuntimeJson } from '../../src/runtime/runtime-config.js';
import { FIXTURES, REPO_ROOT } from '../support/buildpack.js';
import { tempDir } from '../support/tmp.js';
import {
  launch,
  LAUNCHER_SCRIPT,
  makeDroplet,
  MiB,
  setCgroupLimit,
  sidecarLaunchCommand,
  type Droplet,
  guardLines,
} from './launcher.js';

const SHOW = 'echo "MEMORY_LIMIT=$MEMORY_LIMIT"';
const AGENT = {
  name: 'agent',
  command: `${SHOW}; echo agent`,
  processTypes: ['web', 'worker'],
  memoryMb: 16,
};
const OURS = [{ name: 'config-server', processTypes: ['web'], memoryMb: 64 }];

async function pidFiles(droplet: Droplet): Promise<string[]> {
  return (await readdir(droplet.tmpDir)).filter((f) => f.startsWith('sidecar-buildpack-app.'));
}

/** Our runtime at deps/1, another buildpack's launch.yml (known at staging) at deps/0. */
async function behindAnotherBuildpack(): Promise<Droplet> {
  const droplet = await makeDroplet(buildRuntimeJson(OURS, [{ ...AGENT, depsIdx: '0' }]), { depsIdx: '1' });
  await setCgroupLimit(droplet, String(1024 * MiB));
  return droplet;
}

/** Our runtime at deps/0, and a launch.yml written after our supply at deps/1. */
async function beforeAnotherBuildpack(launchYml: string): Promise<Droplet> {
  const droplet = await makeDroplet(buildRuntimeJson(OURS));
  await mkdir(join(droplet.depsDir, '1'), { recursive: true });
  await writeFile(join(droplet.depsDir, '1', 'launch.yml'), launchYml);
  await setCgroupLimit(droplet, String(1024 * MiB));
  return droplet;
}

const agentLaunchYml = (command: string) =>
  lifecycleYaml({
    processes: [
      { type: 'web', command: 'java -jar app.jar' },
      {
        type: 'agent',
        command,
        platforms: { cloudfoundry: { sidecar_for: ['web', 'worker'] } },
        limits: { memory: 16 },
      },
    ],
  });

describe("other buildpacks' sidecars at run time", () => {
  for (const [where, makeIt] of [
    ['before this buildpack (known at staging)', behindAnotherBuildpack],
    ['after this buildpack (read at launch)', () => beforeAnotherBuildpack(agentLaunchYml(AGENT.command))],
  ] as const) {
    it(`leaves the launch of a sidecar declared ${where} alone: no guard, no pid record`, async () => {
      const droplet = await makeIt();
      const result = await launch(droplet, AGENT.command, { memoryLimit: '16m' });
      expect(result.exitCode, result.all).toBe(0);
      expect(result.stdout).toContain('MEMORY_LIMIT=16m');
      expect(guardLines(result.all)).toEqual([
        "[sidecar-buildpack] memory guard: the launch of sidecar 'agent' (another buildpack's) in process type 'web'; MEMORY_LIMIT 16m left alone",
      ]);
      expect(await pidFiles(droplet)).toEqual([]);
    });

    it(`reserves the memory of a sidecar declared ${where} for the app's process`, async () => {
      const droplet = await makeIt();
      const app = launch(droplet, SHOW, { memoryLimit: '1024m' });
      const result = await app;
      expect(result.stdout).toContain('MEMORY_LIMIT=944m');
      expect(guardLines(result.all)).toEqual([
        "[sidecar-buildpack] memory guard: MEMORY_LIMIT 1024m -> 944m: reserved 80M for the sidecars of 'web' (container limit 1024M; the platform had not reserved it)",
      ]);
      expect(await pidFiles(droplet)).toEqual([`sidecar-buildpack-app.${app.pid}.pid`]);
    });
  }

  it('reserves memory for a process type that only the other buildpack gives sidecars', async () => {
    const droplet = await behindAnotherBuildpack();
    const result = await launch(droplet, SHOW, { memoryLimit: '1024m', processType: 'worker' });
    expect(result.stdout).toContain('MEMORY_LIMIT=1008m');
  });

  it('gives every unidentified launch (an app-manifest sidecar) its own pid record', async () => {
    const droplet = await behindAnotherBuildpack();
    const first = launch(droplet, SHOW, { memoryLimit: '1024m' });
    await first;
    const second = launch(droplet, `${SHOW}; echo manifest-sidecar`, { memoryLimit: '64m' });
    expect((await second).stdout).toContain('MEMORY_LIMIT=64m');
    expect((await pidFiles(droplet)).sort()).toEqual(
      [`sidecar-buildpack-app.${first.pid}.pid`, `sidecar-buildpack-app.${second.pid}.pid`].sort(),
    );
  });

  it("does not read launch.yml files the lifecycle never reads, nor the buildpacks' before it again", async () => {
    const droplet = await makeDroplet(buildRuntimeJson(OURS), { depsIdx: '1' });
    await setCgroupLimit(droplet, String(1024 * MiB));
    // deps/0 was read at staging (nothing there then); deps/02 is zero-padded, never read.
    for (const idx of ['0', '02']) {
      await mkdir(join(droplet.depsDir, idx), { recursive: true });
      await writeFile(join(droplet.depsDir, idx, 'launch.yml'), agentLaunchYml(AGENT.command));
    }
    const result = await launch(droplet, SHOW, { memoryLimit: '1024m' });
    expect(result.stdout).toContain('MEMORY_LIMIT=960m');
    // The padded one after ours: its sidecars never started, and one line says so.
    expect(result.stderr).toContain(
      '[sidecar-buildpack] 02/launch.yml declares sidecars that Cloud Foundry never started: agent. With 10 or more buildpacks the lifecycle reads launch.yml only from unpadded deps/<i>',
    );
  });

  it('names every lost sidecar of a padded launch.yml after ours, YAML or JSON', async () => {
    const droplet = await makeDroplet(buildRuntimeJson(OURS), { depsIdx: '01' });
    await setCgroupLimit(droplet, String(1024 * MiB));
    const sidecar = (type: string) => ({
      type,
      command: `run ${type}`,
      platforms: { cloudfoundry: { sidecar_for: ['web'] } },
    });
    await mkdir(join(droplet.depsDir, '05'), { recursive: true });
    await writeFile(
      join(droplet.depsDir, '05', 'launch.yml'),
      lifecycleYaml({ processes: [sidecar('a1'), sidecar('a2')] }),
    );
    await mkdir(join(droplet.depsDir, '07'), { recursive: true });
    await writeFile(
      join(droplet.depsDir, '07', 'launch.yml'),
      JSON.stringify({ processes: [sidecar('b1')] }),
    );
    const result = await launch(droplet, SHOW, { memoryLimit: '1024m' });
    expect(result.stderr).toContain(
      '05/launch.yml declares sidecars that Cloud Foundry never started: a1, a2.',
    );
    expect(result.stderr).toContain('07/launch.yml declares sidecars that Cloud Foundry never started: b1.');
    // Their memory is not reserved: they do not run.
    expect(result.stdout).toContain('MEMORY_LIMIT=960m');
  });

  it("our own sidecar's launch is still told apart by its command shape", async () => {
    const droplet = await beforeAnotherBuildpack(agentLaunchYml(AGENT.command));
    const result = await launch(droplet, sidecarLaunchCommand('config-server', SHOW), { memoryLimit: '64m' });
    expect(guardLines(result.all)).toEqual([
      "[sidecar-buildpack] memory guard: a sidecar's launch in process type 'web'; MEMORY_LIMIT 64m left alone",
    ]);
  });

  it('says so, and keeps the app safe, when a later launch.yml is YAML the reader does not take', async () => {
    const droplet = await beforeAnotherBuildpack(
      'processes:\n- type: agent\n  command: &c sleep 1\n  platforms: {cloudfoundry: {sidecar_for: [web]}}\n',
    );
    const result = await launch(droplet, SHOW, { memoryLimit: '1024m' });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stderr).toContain('cannot read the sidecars of');
    expect(result.stdout).toContain('MEMORY_LIMIT=960m');
    expect(await pidFiles(droplet)).toHaveLength(1);
  });
});

describe('the launch.yml reader (launch-yml-reader.sh) on files written by Go yaml.v2', () => {
  // fixtures/launch-yml/yaml-v2-*.yml: written by yaml.v2's Marshal, as libbuildpack buildpacks
  // write launch.yml, for commands that yaml.v2 folds, quotes or writes as block scalars.
  it('finds each sidecar by its exact command and sums the memory per process type', async () => {
    const dir = join(FIXTURES, 'launch-yml');
    const index = JSON.parse(await readFile(join(dir, 'yaml-v2.json'), 'utf8')) as {
      file: string;
      sidecar: string;
      command: string;
      webMemory: number;
      workerMemory: number;
    }[];
    expect(index.length).toBeGreaterThan(15);
    const droplet = await beforeAnotherBuildpack('');
    // The commands are data here: profile.sh decides, then the launch prints instead of running them.
    const launcherScript = LAUNCHER_SCRIPT.replace('exec bash -c "$@"', 'echo "MEMORY_LIMIT=$MEMORY_LIMIT"');
    for (const entry of index) {
      await cp(join(dir, entry.file), join(droplet.depsDir, '1', 'launch.yml'));
      const sidecar = await launch(droplet, entry.command, { memoryLimit: '16m', launcherScript });
      expect(guardLines(sidecar.all), entry.file).toEqual([
        `[sidecar-buildpack] memory guard: the launch of sidecar '${entry.sidecar}' (another buildpack's) in process type 'web'; MEMORY_LIMIT 16m left alone`,
      ]);
      const app = await launch(droplet, 'the app', {
        memoryLimit: '2048m',
        processType: 'worker',
        launcherScript,
      });
      expect(app.stdout, entry.file).toContain(`MEMORY_LIMIT=${2048 - entry.workerMemory}m`);
    }
  });
});

describe('the launch.yml reader on any command, as YAML 1.1 writers and JSON spell it', () => {
  // A property test: whatever the command (quotes, backslashes, `#`, `: `, newlines, control
  // characters, non-ASCII, lengths that writers fold), written by the yaml package (as this
  // buildpack and many Node tools write launch.yml) or as JSON, the reader finds exactly it.
  it('finds the sidecar by its exact command, and only by it', async () => {
    const commands = fc.sample(
      fc
        .oneof(
          fc.string({ unit: 'binary', maxLength: 120 }),
          fc.string({
            unit: fc.constantFrom('a', ' ', '"', "'", '\\', '#', ':', '\n', '\t', '-', '|', '>', 'é'),
            maxLength: 200,
          }),
        )
        .filter((c) => c.trim() !== '' && !c.includes('\0') && !c.includes('\r')),
      { numRuns: 60 },
    );
    const dir = await tempDir('reader-');
    const cases: string[] = [];
    for (const [i, command] of commands.entries()) {
      const doc = {
        processes: [
          { type: 'web', command: 'the app' },
          {
            type: `s${i}`,
            command,
            platforms: { cloudfoundry: { sidecar_for: ['web'] } },
            limits: { memory: 7 },
          },
        ],
      };
      await writeFile(join(dir, `${i}.yml`), lifecycleYaml(doc));
      await writeFile(join(dir, `${i}.json`), JSON.stringify(doc));
      await writeFile(join(dir, `${i}.cmd`), command);
      cases.push(String(i));
    }
    // One bash for all cases: for each file, the verdict for its own command and for another.
    const script = `source ${shellQuote(join(REPO_ROOT, 'src', 'runtime', 'launch-yml-reader.sh'))}
      for i in ${cases.join(' ')}; do
        IFS= read -r -d '' cmd < "$DIR/$i.cmd"
        for ext in yml json; do
          own=$(sidecar_bp_read_sidecars web "$cmd" "$DIR/$i.$ext"); own_rc=$?
          other=$(sidecar_bp_read_sidecars web "$cmd." "$DIR/$i.$ext"); other_rc=$?
          printf '%s %s %s rc=%s / %s rc=%s\\n' "$i" "$ext" "$own" $own_rc "$other" $other_rc
        done
      done`;
    const { stdout } = await execa('bash', ['-c', script], { env: { DIR: dir } });
    const lines = stdout.split('\n');
    expect(lines).toHaveLength(cases.length * 2);
    for (const line of lines) {
      const [i, ext] = line.split(' ');
      expect(line, JSON.stringify(commands[Number(i)])).toBe(`${i} ${ext} match s${i} rc=0 / memory 7 rc=0`);
    }
  });
});

describe('the run-time reader and the real builder', () => {
  it('reads every launch.yml memory as the lifecycle did, as staging does (fixtures/conformance/yaml.json)', async () => {
    const corpus = JSON.parse(await readFile(join(FIXTURES, 'conformance', 'yaml.json'), 'utf8')) as {
      cases: {
        case: string;
        env: Record<string, string>;
        builder: { exitCode: number; result?: { sidecars?: { memory?: number }[] } };
      }[];
    };
    const cases = corpus.cases.filter(
      (c) => c.case.startsWith('memory-') && c.builder.exitCode === 0 && c.env.YAML_WRITER_LAUNCH_YML,
    );
    expect(cases.length).toBeGreaterThanOrEqual(10);
    const dir = await tempDir('recorded-');
    for (const c of cases) await writeFile(join(dir, `${c.case}.yml`), c.env.YAML_WRITER_LAUNCH_YML ?? '');
    const reader = shellQuote(join(REPO_ROOT, 'src', 'runtime', 'launch-yml-reader.sh'));
    for (const c of cases) {
      const { stdout } = await execa('bash', [
        '-c',
        `source ${reader}; sidecar_bp_read_sidecars web x "$1"`,
        'bash',
        join(dir, `${c.case}.yml`),
      ]);
      const recorded = c.builder.result?.sidecars?.[0]?.memory ?? 0;
      expect(stdout, c.case).toBe(`memory ${recorded}`);
      // ...and so does staging, which reads the launch.yml of the buildpacks before it.
      const staged = declaredSidecars([{ depsIdx: '0', text: c.env.YAML_WRITER_LAUNCH_YML ?? '' }]).sidecars;
      expect(staged[0]?.memoryMb, c.case).toBe(recorded);
    }
  });
});
