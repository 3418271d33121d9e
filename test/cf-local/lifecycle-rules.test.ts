/**
 * The pure rules cf-local takes from the lifecycle and Cloud Controller: launch.yml parsing and
 * merging, sidecar checks, memory arithmetic, crash lines, argument parsing.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../tools/cf-local/args.js';
import {
  crashLine,
  exitDescription,
  exitStatus,
  restartDelayMs,
} from '../../tools/cf-local/run/crash-policy.js';
import { formatLogLine } from '../../tools/cf-local/run/log-line.js';
import { parseMemoryMb, processMemory } from '../../tools/cf-local/run/memory.js';
import { logSource } from '../../tools/cf-local/run/process-plan.js';
import { mergeProcesses, splitProcesses } from '../../tools/cf-local/staging/launch-merge.js';
import { StagingFailure } from '../../tools/cf-local/staging/lifecycle-errors.js';
import {
  parseLaunchYml,
  parseProcfile,
  parseReleaseOutput,
} from '../../tools/cf-local/staging/lifecycle-yaml.js';
import { checkSidecars } from '../../tools/cf-local/staging/sidecar-checks.js';

const SIDECAR_YML = `processes:
- type: config-server
  command: "$DEPS_DIR/0/sidecars/config-server/config-server"
  unknown_key: ignored
  platforms:
    cloudfoundry:
      sidecar_for: [web, worker]
  limits:
    memory: 256
`;

describe('launch.yml as the lifecycle reads it', () => {
  it('reads a sidecar entry and ignores unknown keys', () => {
    expect(parseLaunchYml(SIDECAR_YML).processes).toEqual([
      {
        type: 'config-server',
        command: '$DEPS_DIR/0/sidecars/config-server/config-server',
        platforms: { cloudfoundry: { sidecar_for: ['web', 'worker'] } },
        limits: { memory: 256 },
      },
    ]);
  });

  it('reads JSON, which is YAML to the lifecycle', () => {
    const json = JSON.stringify({ processes: [{ type: 'web', command: 'run' }] });
    expect(parseLaunchYml(json).processes).toEqual([{ type: 'web', command: 'run' }]);
  });

  describe('failure cases', () => {
    it('fails on a memory string such as "256M", naming the line, as the Go struct does', () => {
      expect(() => parseLaunchYml(SIDECAR_YML.replace('memory: 256', 'memory: 256M'))).toThrow(
        'line 9: cannot unmarshal !!str `256M` into int',
      );
    });

    it('fails on sidecar_for given as a string', () => {
      expect(() => parseLaunchYml(SIDECAR_YML.replace('[web, worker]', 'web'))).toThrow('into []string');
    });
  });
});

describe('process merging', () => {
  it('replaces an entry of the same type in place and appends new types', () => {
    const merged = mergeProcesses(
      [
        { type: 'web', command: 'a' },
        { type: 'side', command: 'b', platforms: { cloudfoundry: { sidecar_for: ['web'] } } },
      ],
      [
        { type: 'web', command: 'c' },
        { type: 'worker', command: 'd' },
      ],
    );
    expect(merged.map((p) => `${p.type}=${p.command}`)).toEqual(['web=c', 'side=b', 'worker=d']);
  });

  it('splits sidecars from process types and drops a memory of 0 (omitempty)', () => {
    const split = splitProcesses([
      { type: 'web', command: 'serve' },
      {
        type: 'agent',
        command: 'agent',
        platforms: { cloudfoundry: { sidecar_for: ['web'] } },
        limits: { memory: 0 },
      },
    ]);
    expect(split.processTypes).toEqual({ web: 'serve' });
    expect(split.sidecars).toEqual([{ name: 'agent', process_types: ['web'], command: 'agent' }]);
  });

  it('reads the Procfile and release output as type->command maps', () => {
    expect(parseProcfile('web: python3 app.py\nworker: ./work\n')).toEqual({
      web: 'python3 app.py',
      worker: './work',
    });
    expect(parseReleaseOutput('---\ndefault_process_types:\n  web: "java -jar x"\n')).toEqual({
      web: 'java -jar x',
    });
    expect(parseReleaseOutput('---\ndefault_process_types:\n')).toEqual({});
  });
});

describe("Cloud Controller's sidecar checks", () => {
  const sidecar = { name: 'cs', process_types: ['web'], command: 'run', memory: 256 };

  it('accepts sidecars whose total memory stays below the process memory', () => {
    expect(
      checkSidecars({ sidecars: [sidecar, { ...sidecar, name: 'b' }], processMemoryMb: { web: 513 } }),
    ).toEqual([]);
  });

  describe('failure cases', () => {
    it('refuses a total equal to the process memory, in its own words', () => {
      expect(
        checkSidecars({ sidecars: [sidecar, { ...sidecar, name: 'b' }], processMemoryMb: { web: 512 } }),
      ).toEqual(['The memory allocation defined is too large to run with the dependent "web" process']);
    });

    it('refuses a name taken by a user-defined sidecar, a blank command and no process types', () => {
      const errors = checkSidecars({
        sidecars: [{ ...sidecar, command: '', process_types: [] }],
        processMemoryMb: {},
        userSidecarNames: ['cs'],
      });
      expect(errors).toEqual([
        "Sidecar 'cs' conflicts with an existing user-defined sidecar",
        "Sidecar 'cs': Command can't be blank",
        "Sidecar 'cs': Process types must have at least 1 process_type",
      ]);
    });
  });
});

describe('memory of a launch', () => {
  const sidecars = [
    { name: 'a', process_types: ['web'], command: 'a', memory: 256 },
    { name: 'b', process_types: ['web'], command: 'b' },
    { name: 'c', process_types: ['worker'], command: 'c', memory: 100 },
  ];

  it('parses sizes as cf push -m does', () => {
    expect([
      parseMemoryMb('1G'),
      parseMemoryMb('768M'),
      parseMemoryMb('512mb'),
      parseMemoryMb('2048'),
    ]).toEqual([1024, 768, 512, 2048]);
    expect(() => parseMemoryMb('lots')).toThrow('not a size');
  });

  it("subtracts the declared sidecar memory from the app's MEMORY_LIMIT; a sidecar without memory gets the process memory", () => {
    expect(processMemory(1024, 'web', sidecars, true)).toEqual({
      appMb: 768,
      sidecarsMb: { a: 256, b: 1024 },
    });
  });

  it('does not subtract on an older Cloud Controller, nor when no sidecar declares memory', () => {
    // That Cloud Controller gave every sidecar the app's whole environment, MEMORY_LIMIT included.
    expect(processMemory(1024, 'web', sidecars, false)).toEqual({
      appMb: 1024,
      sidecarsMb: { a: 1024, b: 1024 },
    });
    expect(processMemory(1024, 'web', [sidecars[1]!], true).appMb).toBe(1024);
  });
});

describe('crashes and logs', () => {
  it('describes exits as Diego does, with 128 + signal for a kill', () => {
    expect(exitStatus(null, 9)).toBe(137);
    expect(exitDescription(logSource('web', 'config-server'), 137, false)).toBe(
      'APP/PROC/WEB/SIDECAR/CONFIG-SERVER: Exited with status 137',
    );
    expect(exitDescription('APP/PROC/WEB', 137, true)).toBe(
      'APP/PROC/WEB: Exited with status 137 (out of memory)',
    );
  });

  it('restarts the first three crashes at once, then backs off from 30 s up to 16 min', () => {
    expect([1, 2, 3, 4, 5, 20].map(restartDelayMs)).toEqual([0, 0, 0, 30_000, 60_000, 960_000]);
  });

  it("prints Cloud Controller's crash line and cf logs' line format", () => {
    const time = new Date(Date.UTC(2026, 10, 23, 9, 5, 7, 120));
    const line = crashLine({
      appGuid: 'app',
      instanceGuid: 'inst',
      index: 0,
      description: 'APP/PROC/WEB: Exited with status 1',
      crashCount: 2,
      time,
    });
    expect(line).toContain('App instance exited with guid app payload: {"instance"=>"inst", "index"=>0');
    expect(line).toContain('"exit_description"=>"APP/PROC/WEB: Exited with status 1", "crash_count"=>2');
    expect(formatLogLine({ time, source: 'APP/PROC/WEB', index: 1, stream: 'ERR', text: 'boom' })).toBe(
      '2026-11-23T09:05:07.12+0000 [APP/PROC/WEB/1] ERR boom',
    );
  });

  it('names failures with the lifecycle exit codes', () => {
    expect(
      new StagingFailure(['Failed to compile droplet', 'Failed to run finalize script', 'exit status 1'])
        .exitCode,
    ).toBe(223);
    expect(new StagingFailure(['None of the buildpacks detected a compatible application']).exitCode).toBe(
      222,
    );
    expect(new StagingFailure(['Failed to run all supply scripts', 'exit status 3']).exitCode).toBe(225);
  });
});

describe('command line', () => {
  it('parses stage and run', () => {
    expect(parseArgs(['stage', 'app', '-b', 'x', '--vcap-services', '{"p":[]}'])).toMatchObject({
      options: { vcapServices: '{"p":[]}' },
    });
    expect(
      parseArgs(['stage', 'app', '-b', 'a', '-b', 'b.zip', '--env', 'K=V=W', '--stack', 'cflinuxfs4']),
    ).toMatchObject({
      name: 'stage',
      options: { appDir: 'app', buildpacks: ['a', 'b.zip'], env: { K: 'V=W' }, stack: 'cflinuxfs4' },
    });
    expect(
      parseArgs(['run', 'out', '--memory', '1G', '--instances', '2', '--no-sidecar-memory-subtraction']),
    ).toMatchObject({
      name: 'run',
      options: { stagedDir: 'out', memory: '1G', instances: 2, subtractSidecarMemory: false },
    });
  });

  it('refuses what it does not understand', () => {
    expect(() => parseArgs(['run', 'out', '--instances', '0'])).toThrow(UsageError);
    expect(() => parseArgs(['stage', 'app'])).toThrow('needs -b');
    expect(() => parseArgs(['run', 'out', '--memory', 'big'])).toThrow('not a size');
    expect(() => parseArgs(['stage', 'app', '-b', 'x', '--vcap-services', '[1]'])).toThrow('JSON object');
  });
});
