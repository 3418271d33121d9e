/**
 * sidecars.yml run-time keys (ready, health, stop, credentials): the normalised result and one
 * clear staging error (file, line, key, what was expected) per bad value.
 */
import { describe, expect, it } from 'vitest';
import { parseSidecarsDocument } from '../../src/config/parse.js';
import { UserError } from '../../src/errors.js';

/** A one-sidecar document with `extra` lines (indented under the sidecar) from line 6 on. */
function doc(...extra: string[]): string {
  return [
    'sidecars:',
    '  - name: config-server',
    '    dependency: config-server',
    '    memory: 256M',
    '    env: { CONFIG_SERVER_PORT: "8082" }',
    ...extra.map((l) => `    ${l}`),
  ].join('\n');
}

function errorOf(text: string, file = 'sidecars.yml'): UserError {
  try {
    parseSidecarsDocument(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

const describeError = (text: string) => errorOf(text).describe();

describe('run-time keys', () => {
  it('normalises every key, with defaults for what is left out', () => {
    const [sidecar] = parseSidecarsDocument(
      doc(
        'ready: { tcp: 8082, timeout: 2m, on_timeout: warn }',
        'health:',
        '  http: http://localhost:8082/health',
        '  interval: 5s',
        '  failure_threshold: 4',
        'stop: { grace: 8s }',
        'credentials:',
        '  - label: p.config-server',
        '    env: { CONFIG_URI: uri, CONFIG_SECRET: client.secret }',
        '  - tag: apm',
        '    env: { APM_TOKEN: token }',
      ),
      'sidecars.yml',
    ).sidecars;
    expect(sidecar?.runtime).toEqual({
      ready: { probe: { kind: 'tcp', port: 8082 }, timeoutSeconds: 120, onTimeout: 'warn' },
      health: {
        probe: { kind: 'http', url: 'http://localhost:8082/health' },
        intervalSeconds: 5,
        timeoutSeconds: 2,
        failureThreshold: 4,
        startPeriodSeconds: 60,
      },
      stop: { graceSeconds: 8 },
      credentials: [
        {
          by: 'label',
          value: 'p.config-server',
          env: { CONFIG_URI: ['uri'], CONFIG_SECRET: ['client', 'secret'] },
        },
        { by: 'tag', value: 'apm', env: { APM_TOKEN: ['token'] } },
      ],
    });
  });

  it('leaves runtime out when no run-time key is given', () => {
    expect(parseSidecarsDocument(doc(), 'sidecars.yml').sidecars[0]).not.toHaveProperty('runtime');
  });

  it('defaults ready to a 60 s timeout that fails', () => {
    const [sidecar] = parseSidecarsDocument(doc('ready: { tcp: 8082 }'), 'sidecars.yml').sidecars;
    expect(sidecar?.runtime?.ready).toEqual({
      probe: { kind: 'tcp', port: 8082 },
      timeoutSeconds: 60,
      onTimeout: 'fail',
    });
  });
});

describe('failure cases', () => {
  it.each([
    ['ready: { timeout: 10s }', 'sidecars.yml:6: sidecars[0].ready: needs tcp: <port> or http: <url>'],
    [
      'ready: { tcp: 8082, http: "http://localhost:1/" }',
      'sidecars.yml:6: sidecars[0].ready: gives both tcp and http: give one',
    ],
    [
      'ready: { tcp: "eighty" }',
      'sidecars.yml:6: sidecars[0].ready.tcp: "eighty" is not a port number from 1 to 65535',
    ],
    [
      'ready: { tcp: 70000 }',
      'sidecars.yml:6: sidecars[0].ready.tcp: 70000 is not a port number from 1 to 65535',
    ],
    [
      'ready: { http: "https://localhost/h" }',
      'sidecars.yml:6: sidecars[0].ready.http: "https://localhost/h" is not an http:// URL',
    ],
    [
      'ready: { http: "http://config.example.com/h" }',
      'sidecars.yml:6: sidecars[0].ready.http: "http://config.example.com/h" is not on localhost',
    ],
    [
      'ready: { tcp: 8082, timeout: soon }',
      'sidecars.yml:6: sidecars[0].ready.timeout: "soon" is not a duration like 30s or 2m',
    ],
    [
      'ready: { tcp: 8082, timeout: 0s }',
      'sidecars.yml:6: sidecars[0].ready.timeout: "0s" is not between 1s and 600s',
    ],
    [
      'ready: { tcp: 8082, on_timeout: ignore }',
      'sidecars.yml:6: sidecars[0].ready.on_timeout: "ignore" is not "fail" or "warn"',
    ],
    [
      'ready: { tcp: 8082, timout: 5s }',
      'sidecars.yml:6: sidecars[0].ready.timout: unknown key; did you mean "timeout"?',
    ],
    ['ready: 8082', 'sidecars.yml:6: sidecars[0].ready: expected a map of keys, got number 8082'],
    [
      'health: { tcp: 8082, interval: 0s }',
      'sidecars.yml:6: sidecars[0].health.interval: "0s" is not between 1s and 3600s',
    ],
    [
      'health: { tcp: 8082, failure_threshold: 0 }',
      'sidecars.yml:6: sidecars[0].health.failure_threshold: 0 is not a whole number from 1 to 100',
    ],
    [
      'health: { tcp: 8082, failure_threshold: "3" }',
      'sidecars.yml:6: sidecars[0].health.failure_threshold: "3" is not a whole number from 1 to 100',
    ],
    [
      'health: { tcp: 8082, timeout: 2d }',
      'sidecars.yml:6: sidecars[0].health.timeout: "2d" is not a duration like 30s or 2m',
    ],
    ['stop: { grace: 15s }', 'sidecars.yml:6: sidecars[0].stop.grace: "15s" is not between 1s and 9s'],
    [
      'stop: {}',
      'sidecars.yml:6: sidecars[0].stop.grace: is missing: how long may the sidecar outlive SIGTERM, e.g. 5s',
    ],
    ['credentials: { label: x }', 'sidecars.yml:6: sidecars[0].credentials: expected a list, got a map'],
    [
      'credentials: [ { env: { A: a } } ]',
      'sidecars.yml:6: sidecars[0].credentials[0]: names no service: give one of name, label or tag',
    ],
    [
      'credentials: [ { name: a, tag: b, env: { A: a } } ]',
      'sidecars.yml:6: sidecars[0].credentials[0]: gives name and tag: give exactly one of name, label or tag',
    ],
    [
      'credentials: [ { name: db } ]',
      'sidecars.yml:6: sidecars[0].credentials[0].env: is missing: map environment variables to credential keys, e.g. CONFIG_URI: uri',
    ],
    [
      'credentials: [ { name: db, env: { 1PASS: password } } ]',
      'sidecars.yml:6: sidecars[0].credentials[0].env.1PASS: is not a valid environment variable name (letters, digits and _, not starting with a digit)',
    ],
    [
      'credentials: [ { name: db, env: { CONFIG_SERVER_PORT: port } } ]',
      "sidecars.yml:6: sidecars[0].credentials[0].env.CONFIG_SERVER_PORT: is also set in the sidecar's env:; keep one of them",
    ],
    [
      'credentials: [ { name: db, env: { P: "a..b" } } ]',
      'sidecars.yml:6: sidecars[0].credentials[0].env.P: "a..b" is not a key path like uri or db.password',
    ],
    [
      'restart: sometimes',
      'sidecars.yml:6: sidecars[0].restart: "sometimes" is not "never", "on-failure" or "always"',
    ],
    [
      'restart: { policy: on_failure }',
      'sidecars.yml:6: sidecars[0].restart.policy: "on_failure" is not "never", "on-failure" or "always"',
    ],
    [
      'restart: { max_restarts: 3 }',
      'sidecars.yml:6: sidecars[0].restart.policy: is missing: never, on-failure or always',
    ],
    [
      'restart: { policy: on-failure, max_restarts: 0 }',
      'sidecars.yml:6: sidecars[0].restart.max_restarts: 0 is not a whole number from 1 to 1000',
    ],
    [
      'restart: { policy: always, max_restarts: 5, within: 30s }',
      'sidecars.yml:6: sidecars[0].restart.within: 30s is not longer than the back-off of 5 restarts in a row (31s): the budget could never be spent, and a sidecar that never starts would restart forever',
    ],
    [
      'restart: { policy: never, within: 10m }',
      'sidecars.yml:6: sidecars[0].restart.within: is a restart budget, but the policy is never: nothing is restarted in place',
    ],
    [
      'restart: { policy: on-failure, max_restart: 3 }',
      'sidecars.yml:6: sidecars[0].restart.max_restart: unknown key; did you mean "max_restarts"?',
    ],
    [
      'over_memory: restart',
      `sidecars.yml:6: sidecars[0].over_memory: is "restart", but the sidecar's restart policy is never: it cannot be restarted in place`,
    ],
    ['over_memory: kill', 'sidecars.yml:6: sidecars[0].over_memory: "kill" is not "warn" or "restart"'],
    ['priority: 10', 'sidecars.yml:6: sidecars[0].priority: "10" is not "normal", "low" or "lowest"'],
  ])('%s', (line, message) => {
    expect(describeError(doc(line))).toBe(message);
  });

  it('takes restart as a word or as a map with a budget, over_memory and priority', () => {
    const runtime = (...lines: string[]) =>
      parseSidecarsDocument(doc(...lines), 'sidecars.yml').sidecars[0]?.runtime;
    expect(runtime('restart: on-failure')).toEqual({
      restart: { policy: 'on-failure', maxRestarts: 5, withinSeconds: 600 },
    });
    expect(runtime('restart: never')).toEqual({ restart: { policy: 'never' } });
    expect(
      runtime(
        'restart: { policy: always, max_restarts: 10, within: 1h }',
        'over_memory: warn',
        'priority: low',
      ),
    ).toEqual({
      restart: { policy: 'always', maxRestarts: 10, withinSeconds: 3600 },
      overMemory: 'warn',
      priority: 'low',
    });
    expect(runtime('restart: on-failure', 'over_memory: restart')?.overMemory).toBe('restart');
  });

  it('hints at what a budget of 0 means', () => {
    expect(errorOf(doc('restart: { policy: on-failure, max_restarts: 0 }')).details.hint).toBe(
      'A budget of 0 restarts is restart: never.',
    );
  });

  it('points at the line of the bad value in a block map', () => {
    const error = errorOf(doc('health:', '  tcp: 8082', '  interval: 10s', '  timeout: forever'));
    expect(error.details).toMatchObject({ file: 'sidecars.yml', line: 9, key: 'sidecars[0].health.timeout' });
  });

  it('explains the 10 s window when the grace is too long', () => {
    expect(errorOf(doc('stop: { grace: 10s }')).details.hint).toContain('10 s after SIGTERM');
  });

  it('names $SIDECARS_YML when the bad value came from the env var', () => {
    expect(errorOf(doc('stop: { grace: 30s }'), '$SIDECARS_YML').describe()).toBe(
      '$SIDECARS_YML:6: sidecars[0].stop.grace: "30s" is not between 1s and 9s',
    );
  });
});
