/** runtime.json, the process-type view and the memory advice: pure data. */
import { describe, expect, it } from 'vitest';
import { sidecarCommand } from '../../src/launch/launch-config.js';
import { calculateJvmMemory, jvmMinimumMb, MB } from '../../src/runtime/jvm-memory.js';
import {
  buildRuntimeJson,
  formatProcessTypeRows,
  memoryAdvice,
  processTypeRows,
} from '../../src/runtime/runtime-config.js';

const RUNTIME = buildRuntimeJson([
  {
    name: 'config-server',
    processTypes: ['web'],
    memoryMb: 192,
    runtime: { ready: { probe: { kind: 'tcp', port: 8082 }, timeoutSeconds: 30, onTimeout: 'warn' } },
  },
  { name: 'agent', processTypes: ['web', 'worker'], memoryMb: 64, runtime: { stop: { graceSeconds: 5 } } },
]);

describe('runtime.json', () => {
  it('sums sidecar memory per process type as Cloud Controller does', () => {
    expect(RUNTIME.processTypes).toEqual({
      web: { sidecarMemoryMb: 256, sidecars: ['config-server', 'agent'] },
      worker: { sidecarMemoryMb: 64, sidecars: ['agent'] },
    });
    expect(RUNTIME.sidecars.agent).toEqual({
      processTypes: ['web', 'worker'],
      memoryMb: 64,
      stop: { graceSeconds: 5 },
      restart: {
        policy: 'never',
        maxRestarts: 0,
        withinSeconds: 0,
        backoff: { initialSeconds: 1, maxSeconds: 30, resetAfterSeconds: 60 },
      },
      memoryCheck: { action: 'warn', intervalSeconds: 5, samples: 3 },
      nice: 0,
    });
  });

  it('restarts a sidecar over its memory only when its restart policy allows it', () => {
    const runtime = buildRuntimeJson([
      {
        name: 'a',
        processTypes: ['web'],
        memoryMb: 64,
        runtime: { restart: { policy: 'always', maxRestarts: 2, withinSeconds: 60 }, priority: 'low' },
      },
      {
        name: 'b',
        processTypes: ['web'],
        memoryMb: 64,
        runtime: {
          restart: { policy: 'on-failure', maxRestarts: 5, withinSeconds: 600 },
          overMemory: 'warn',
        },
      },
      // An operator's over_memory: restart under an app's restart: never (layered): it warns.
      {
        name: 'c',
        processTypes: ['web'],
        memoryMb: 64,
        runtime: { restart: { policy: 'never' }, overMemory: 'restart' },
      },
    ]);
    expect(runtime.sidecars.a?.memoryCheck.action).toBe('restart');
    expect(runtime.sidecars.a?.restart).toMatchObject({
      policy: 'always',
      maxRestarts: 2,
      withinSeconds: 60,
    });
    expect(runtime.sidecars.a?.nice).toBe(10);
    expect(runtime.sidecars.b?.memoryCheck.action).toBe('warn');
    expect(runtime.sidecars.c?.memoryCheck.action).toBe('warn');
    expect(runtime.sidecars.c?.restart.maxRestarts).toBe(0);
  });

  it('writes the process-type view the profile script reads without jq', () => {
    expect(formatProcessTypeRows(processTypeRows(RUNTIME, 'web'))).toBe(
      'memory\t256\nready\tconfig-server\ttcp\t8082\t30\twarn\n',
    );
    expect(processTypeRows(RUNTIME, 'clock')).toEqual([]);
  });

  it('refuses a field that bash read would split', () => {
    expect(() => formatProcessTypeRows([['ready', 'x', 'http', 'http://localhost/a b', 1, 'fail']])).toThrow(
      /cannot write/,
    );
  });
});

describe('launch command', () => {
  const base = {
    name: 'agent',
    command: "./agent --name 'a b'",
    processTypes: ['web'],
    memoryMb: 64,
    env: {},
  };

  it('wraps every sidecar in the supervisor, options or not (status, memory, the OOM victim)', () => {
    expect(sidecarCommand('0', base)).toBe(
      `cd "$DEPS_DIR/0/sidecars/agent" && exec bash "$DEPS_DIR/0/sidecar_runtime/supervise.sh" 'agent' './agent --name '\\''a b'\\'''`,
    );
  });

  it('wraps it in the supervisor, quoted, with the index expanded at run time', () => {
    expect(sidecarCommand('2', { ...base, runtime: { stop: { graceSeconds: 3 } } })).toBe(
      `cd "$DEPS_DIR/2/sidecars/agent" && exec bash "$DEPS_DIR/2/sidecar_runtime/supervise.sh" 'agent' './agent --name '\\''a b'\\'''`,
    );
  });
});

describe('memory advice', () => {
  it('states what each process type needs, and warns only when the staging memory proves it too small', () => {
    expect(jvmMinimumMb()).toBe(725);
    expect(memoryAdvice(RUNTIME, 1024)).toEqual({
      details: [
        'Process type web: sidecars reserve 256M; a JVM app needs at least 981M there (725M for a typical JVM)',
        'Process type worker: sidecars reserve 64M; a JVM app needs at least 789M there (725M for a typical JVM)',
      ],
      warnings: [],
    });
    expect(memoryAdvice(RUNTIME, 900).warnings).toEqual([
      expect.stringContaining('Give web at least 981M: `cf scale APP -m 1G`'),
    ]);
    expect(memoryAdvice(RUNTIME, undefined).warnings).toEqual([]);
  });

  it('the minimum leaves a typical JVM its 128M heap', () => {
    const jvm = calculateJvmMemory({ totalBytes: jvmMinimumMb() * MB, loadedClassCount: 15_000 });
    expect(jvm?.heap).toBeGreaterThanOrEqual(128 * MB);
    expect(jvm?.jvmTotal).toBe(jvmMinimumMb() * MB);
  });
});
