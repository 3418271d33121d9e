/**
 * Parses a sidecar's run-time options in sidecars.yml: `ready:`, `health:`, `stop:`,
 * `credentials:`, `restart:`, `over_memory:` and `priority:`. Pure; every bad value is a UserError naming file, line, key and what was
 * expected. The bash in src/runtime/ acts on the result at run time.
 *
 *   ready:       { tcp: 8082 | http: http://localhost:8082/health, timeout: 60s, on_timeout: fail|warn }
 *   health:      { tcp | http, interval: 10s, timeout: 2s, failure_threshold: 3, start_period: 60s }
 *   stop:        { grace: 8s }
 *   credentials: [ { name | label | tag: <service>, env: { VAR: key.path.in.credentials } } ]
 *                (beside when_bound: the service may be left out, or the list be just the env map)
 *   restart:     never | on-failure | always | { policy, max_restarts: 5, within: 10m }
 *   over_memory: warn | restart
 *   priority:    normal | low | lowest
 */
import { isMap, isScalar, type Node } from 'yaml';
import { ENV_NAME } from './cc-rules.js';
import type {
  CredentialsOptions,
  HealthOptions,
  Priority,
  Probe,
  ReadyOptions,
  RestartOptions,
  ServiceSelector,
  SidecarRuntimeOptions,
  StopOptions,
} from './runtime-options-types.js';
import { keyPath as configKeyPath, type YamlSource } from './yaml-document.js';

export const RUNTIME_OPTION_KEYS = [
  'ready',
  'health',
  'stop',
  'credentials',
  'restart',
  'over_memory',
  'priority',
] as const;

/** How sidecars.yml spells each option of SidecarRuntimeOptions (log lines name them so). */
export const RUNTIME_OPTION_NAMES: Record<keyof SidecarRuntimeOptions, string> = {
  ready: 'ready',
  health: 'health',
  stop: 'stop',
  credentials: 'credentials',
  restart: 'restart',
  overMemory: 'over_memory',
  priority: 'priority',
};
export const RESTART_KEYS = ['policy', 'max_restarts', 'within'] as const;
export const READY_KEYS = ['tcp', 'http', 'timeout', 'on_timeout'] as const;
export const HEALTH_KEYS = [
  'tcp',
  'http',
  'interval',
  'timeout',
  'failure_threshold',
  'start_period',
] as const;
export const STOP_KEYS = ['grace'] as const;
export const CREDENTIALS_KEYS = ['name', 'label', 'tag', 'env'] as const;
export const SERVICE_SELECTOR_KEYS = ['name', 'label', 'tag'] as const;
export const RESTART_POLICY_VALUES = ['never', 'on-failure', 'always'] as const;
export const PRIORITY_VALUES = ['normal', 'low', 'lowest'] as const;
export const OVER_MEMORY_VALUES = ['warn', 'restart'] as const;
export const ON_TIMEOUT_VALUES = ['fail', 'warn'] as const;

/** Cloud Foundry sends SIGKILL 10 s after SIGTERM; the sidecar needs a second to stop itself. */
export const MAX_STOP_GRACE_SECONDS = 9;

export const DEFAULTS = {
  readyTimeoutSeconds: 60,
  healthIntervalSeconds: 10,
  healthTimeoutSeconds: 2,
  failureThreshold: 3,
  startPeriodSeconds: 60,
  maxRestarts: 5,
  restartWithinSeconds: 600,
} as const;

/**
 * The supervisor's back-off between restarts, as CrashLoopBackOff: 1 s, doubled after each
 * restart up to 30 s, back to 1 s once the sidecar has run 60 s. A SIGTERM ends a back-off at
 * once, so the cap costs a stopping container nothing; what must fit into Cloud Foundry's 10 s
 * between SIGTERM and SIGKILL is the stop of a running sidecar (TERM, then KILL after 5 s).
 */
export const BACKOFF = { initialSeconds: 1, maxSeconds: 30, resetAfterSeconds: 60 } as const;

/** Seconds the back-off alone takes for `restarts` restarts in a row. */
export function backoffSeconds(restarts: number): number {
  let total = 0;
  for (let i = 0; i < restarts; i++) total += Math.min(BACKOFF.initialSeconds * 2 ** i, BACKOFF.maxSeconds);
  return total;
}

/** Memory samples: every 5 s; 3 in a row above `memory:` is "over" (a spike of 10 s is not). */
export const MEMORY_CHECK = { intervalSeconds: 5, samples: 3 } as const;

/** The nice value of each priority. */
export const NICE: Record<Priority, number> = { normal: 0, low: 10, lowest: 19 };

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
export const DURATION = /^(\d+)\s*(ms|s|m|h)?$/;

export function parseRuntimeOptions(
  src: YamlSource,
  fields: Map<string, Node | null>,
  path: string,
  sidecarEnv: Record<string, string>,
  /** The sidecar's `when_bound:`: its credentials may leave the service out. */
  boundTo?: ServiceSelector,
): SidecarRuntimeOptions {
  const at = (key: string) => `${path}.${key}`;
  const options: SidecarRuntimeOptions = {};
  // Each option on its own: a mistake in one is recorded and the others are still checked.
  const read = <T>(check: () => T): T | undefined => src.attempt(check);
  const set = <K extends keyof SidecarRuntimeOptions>(
    key: K,
    value: SidecarRuntimeOptions[K] | undefined,
  ) => {
    if (value !== undefined) options[key] = value;
  };
  const ready = fields.get('ready');
  if (ready !== undefined)
    set(
      'ready',
      read(() => parseReady(src, ready, at('ready'))),
    );
  const health = fields.get('health');
  if (health !== undefined)
    set(
      'health',
      read(() => parseHealth(src, health, at('health'))),
    );
  const stop = fields.get('stop');
  if (stop !== undefined)
    set(
      'stop',
      read(() => parseStop(src, stop, at('stop'))),
    );
  const credentials = fields.get('credentials');
  if (credentials !== undefined)
    set(
      'credentials',
      read(() => parseCredentials(src, credentials, at('credentials'), sidecarEnv, boundTo)),
    );
  const restart = fields.get('restart');
  if (restart !== undefined)
    set(
      'restart',
      read(() => parseRestart(src, restart, at('restart'))),
    );
  const overMemory = fields.get('over_memory');
  if (overMemory !== undefined)
    read(() => {
      options.overMemory = oneOf(
        src,
        overMemory,
        at('over_memory'),
        OVER_MEMORY_VALUES,
        'warn: one **WARNING** line; restart: the supervisor restarts the sidecar (needs a restart policy).',
      );
      if (options.overMemory === 'restart' && (options.restart?.policy ?? 'never') === 'never')
        src.fail(
          overMemory,
          at('over_memory'),
          'is "restart", but the sidecar\'s restart policy is never: it cannot be restarted in place',
          'Give the sidecar restart: on-failure (or always), or write over_memory: warn.',
        );
    });
  const priority = fields.get('priority');
  if (priority !== undefined)
    set(
      'priority',
      read(() =>
        oneOf(
          src,
          priority,
          at('priority'),
          PRIORITY_VALUES,
          'low runs the sidecar at nice 10, lowest at nice 19: the app wins the CPU when both want it.',
        ),
      ),
    );
  return options;
}

function parseRestart(src: YamlSource, node: Node | null, path: string): RestartOptions {
  const hint =
    'never: Cloud Foundry restarts the container (the default); on-failure: the sidecar is restarted in place after a failure; always: after any exit.';
  if (!isMap(node)) {
    const policy = oneOf(src, node, path, RESTART_POLICY_VALUES, hint);
    return policy === 'never'
      ? { policy }
      : { policy, maxRestarts: DEFAULTS.maxRestarts, withinSeconds: DEFAULTS.restartWithinSeconds };
  }
  const fields = src.entries(src.map(node, path), path, RESTART_KEYS);
  const policyNode = fields.get('policy');
  if (policyNode === undefined)
    src.fail(node, `${path}.policy`, 'is missing: never, on-failure or always', hint);
  const policy = oneOf(src, policyNode, `${path}.policy`, RESTART_POLICY_VALUES, hint);
  const budgetKey = (['max_restarts', 'within'] as const).find((k) => fields.has(k));
  if (policy === 'never') {
    if (budgetKey)
      src.fail(
        fields.get(budgetKey),
        `${path}.${budgetKey}`,
        'is a restart budget, but the policy is never: nothing is restarted in place',
        'Remove it, or give policy: on-failure (or always).',
      );
    return { policy };
  }
  const maxNode = fields.get('max_restarts');
  let maxRestarts: number = DEFAULTS.maxRestarts;
  if (maxNode !== undefined) {
    const value = (maxNode as { value?: unknown })?.value;
    if (
      !isScalar(maxNode) ||
      typeof value !== 'number' ||
      !Number.isInteger(value) ||
      value < 1 ||
      value > 1000
    )
      src.fail(
        maxNode,
        `${path}.max_restarts`,
        `${describeValue(maxNode)} is not a whole number from 1 to 1000`,
        value === 0 ? 'A budget of 0 restarts is restart: never.' : undefined,
      );
    maxRestarts = value as number;
  }
  const withinSeconds = seconds(src, fields, path, 'within', DEFAULTS.restartWithinSeconds, 1, 86_400);
  const backoff = backoffSeconds(maxRestarts);
  if (withinSeconds <= backoff)
    src.fail(
      fields.get('within') ?? node,
      `${path}.within`,
      `${formatSeconds(withinSeconds)} is not longer than the back-off of ${maxRestarts} restarts in a row (${formatSeconds(backoff)}): the budget could never be spent, and a sidecar that never starts would restart forever`,
      `Give within: ${formatSeconds(Math.max(60, backoff * 2))} or more, or fewer max_restarts.`,
    );
  return { policy, maxRestarts, withinSeconds };
}

/** A scalar that must be one of `allowed`. */
function oneOf<T extends string>(
  src: YamlSource,
  node: Node | null | undefined,
  path: string,
  allowed: readonly T[],
  hint: string,
): T {
  const text = src.scalarText(node, path);
  if (!(allowed as readonly string[]).includes(text))
    src.fail(
      node,
      path,
      `${JSON.stringify(text)} is not ${allowed
        .map((a) => `"${a}"`)
        .join(', ')
        .replace(/, ([^,]*)$/, ' or $1')}`,
      hint,
    );
  return text as T;
}

/** 90 -> "1m30s", 600 -> "10m", 5 -> "5s". */
export function formatSeconds(total: number): string {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [h ? `${h}h` : '', m ? `${m}m` : '', s || total === 0 ? `${s}s` : ''].join('');
}

function parseReady(src: YamlSource, node: Node | null, path: string): ReadyOptions {
  const fields = src.entries(src.map(node, path), path, READY_KEYS);
  const onTimeoutNode = fields.get('on_timeout');
  let onTimeout: 'fail' | 'warn' = 'fail';
  if (onTimeoutNode !== undefined) {
    const text = src.scalarText(onTimeoutNode, `${path}.on_timeout`);
    if (!(ON_TIMEOUT_VALUES as readonly string[]).includes(text))
      src.fail(onTimeoutNode, `${path}.on_timeout`, `${JSON.stringify(text)} is not "fail" or "warn"`);
    onTimeout = text as 'fail' | 'warn';
  }
  return {
    probe: parseProbe(src, node, fields, path),
    timeoutSeconds: seconds(src, fields, path, 'timeout', DEFAULTS.readyTimeoutSeconds, 1, 600),
    onTimeout,
  };
}

function parseHealth(src: YamlSource, node: Node | null, path: string): HealthOptions {
  const fields = src.entries(src.map(node, path), path, HEALTH_KEYS);
  const thresholdNode = fields.get('failure_threshold');
  let failureThreshold: number = DEFAULTS.failureThreshold;
  if (thresholdNode !== undefined) {
    const value = (thresholdNode as { value?: unknown })?.value;
    if (
      !isScalar(thresholdNode) ||
      typeof value !== 'number' ||
      !Number.isInteger(value) ||
      value < 1 ||
      value > 100
    )
      src.fail(
        thresholdNode,
        `${path}.failure_threshold`,
        `${describeValue(thresholdNode)} is not a whole number from 1 to 100`,
      );
    failureThreshold = value as number;
  }
  return {
    probe: parseProbe(src, node, fields, path),
    intervalSeconds: seconds(src, fields, path, 'interval', DEFAULTS.healthIntervalSeconds, 1, 3600),
    timeoutSeconds: seconds(src, fields, path, 'timeout', DEFAULTS.healthTimeoutSeconds, 1, 60),
    failureThreshold,
    startPeriodSeconds: seconds(src, fields, path, 'start_period', DEFAULTS.startPeriodSeconds, 0, 3600),
  };
}

function parseStop(src: YamlSource, node: Node | null, path: string): StopOptions {
  const fields = src.entries(src.map(node, path), path, STOP_KEYS);
  if (!fields.has('grace'))
    src.fail(node, `${path}.grace`, 'is missing: how long may the sidecar outlive SIGTERM, e.g. 5s');
  return {
    graceSeconds: seconds(
      src,
      fields,
      path,
      'grace',
      0,
      1,
      MAX_STOP_GRACE_SECONDS,
      'Cloud Foundry kills every process of the container 10 s after SIGTERM; the sidecar needs the last second to stop.',
    ),
  };
}

/**
 * `when_bound:` and each `credentials:` entry pick a service the same way: exactly one of
 * name (the instance, `cf services`), label (the offering) or tag.
 */
export function parseServiceSelector(
  src: YamlSource,
  node: Node | null,
  path: string,
  fields = src.entries(src.map(node, path), path, SERVICE_SELECTOR_KEYS),
): ServiceSelector {
  const selectors = SERVICE_SELECTOR_KEYS.filter((k) => fields.has(k));
  if (selectors.length !== 1)
    src.fail(
      node,
      path,
      selectors.length === 0
        ? 'names no service: give one of name, label or tag'
        : `gives ${selectors.join(' and ')}: give exactly one of name, label or tag`,
      'name is the service instance name (cf services), label the service offering, tag one of its tags.',
    );
  const by = selectors[0] as ServiceSelector['by'];
  const value = src.string(fields.get(by), `${path}.${by}`);
  if (value.trim() === '') src.fail(fields.get(by), `${path}.${by}`, 'is empty');
  return { by, value };
}

function parseCredentials(
  src: YamlSource,
  node: Node | null,
  path: string,
  sidecarEnv: Record<string, string>,
  boundTo: ServiceSelector | undefined,
): CredentialsOptions[] {
  const seen = new Set<string>();
  // Beside when_bound, the short form: the env map alone, read from the service that turned
  // the sidecar on (`credentials: {LICENSE_KEY: licenseKey}`).
  if (boundTo && isMap(node))
    return [{ ...boundTo, env: parseCredentialEnv(src, node, path, sidecarEnv, seen) }];
  return src.seq(node, path).items.map((item, index) => {
    const itemPath = `${path}[${index}]`;
    const fields = src.entries(src.map(item, itemPath), itemPath, CREDENTIALS_KEYS);
    const { by, value } =
      boundTo && !SERVICE_SELECTOR_KEYS.some((k) => fields.has(k))
        ? boundTo
        : parseServiceSelector(src, item, itemPath, fields);

    const envNode = fields.get('env');
    if (envNode === undefined)
      src.fail(
        item,
        `${itemPath}.env`,
        'is missing: map environment variables to credential keys, e.g. CONFIG_URI: uri',
      );
    return {
      by,
      value,
      env: parseCredentialEnv(src, envNode as Node | null, `${itemPath}.env`, sidecarEnv, seen),
    };
  });
}

/** `{VAR: key.path}`: env var names to key paths inside the service's `credentials` object. */
function parseCredentialEnv(
  src: YamlSource,
  envNode: Node | null,
  path: string,
  sidecarEnv: Record<string, string>,
  seen: Set<string>,
): Record<string, string[]> {
  const env: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  const pairs = src.map(envNode, path).items;
  if (pairs.length === 0) src.fail(envNode, path, 'is empty');
  for (const pair of pairs) {
    const keyNode = pair.key as unknown as Node;
    const name = src.scalarText(keyNode, path);
    const key = configKeyPath(path, name);
    if (!ENV_NAME.test(name))
      src.fail(
        keyNode,
        key,
        'is not a valid environment variable name (letters, digits and _, not starting with a digit)',
      );
    if (Object.hasOwn(sidecarEnv, name))
      src.fail(keyNode, key, `is also set in the sidecar's env:; keep one of them`);
    if (seen.has(name)) src.fail(keyNode, key, 'is mapped twice');
    seen.add(name);
    const keyPath = src.string(pair.value as Node | null, key);
    const parts = keyPath.split('.');
    if (parts.some((p) => p.trim() === ''))
      src.fail(
        pair.value as Node | null,
        key,
        `${JSON.stringify(keyPath)} is not a key path like uri or db.password`,
      );
    env[name] = parts;
  }
  return env;
}

function parseProbe(
  src: YamlSource,
  node: Node | null,
  fields: Map<string, Node | null>,
  path: string,
): Probe {
  const tcp = fields.get('tcp');
  const http = fields.get('http');
  if ((tcp === undefined) === (http === undefined))
    src.fail(
      tcp ?? http ?? node,
      path,
      tcp === undefined ? 'needs tcp: <port> or http: <url>' : 'gives both tcp and http: give one',
      'e.g. tcp: 8082, or http: http://localhost:8082/health',
    );
  if (tcp !== undefined) {
    const value = (tcp as { value?: unknown })?.value;
    if (!isScalar(tcp) || typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535)
      src.fail(
        tcp,
        `${path}.tcp`,
        `${describeValue(tcp)} is not a port number from 1 to 65535`,
        'The sidecar listens on 127.0.0.1; give its port, e.g. tcp: 8082.',
      );
    return { kind: 'tcp', port: value as number };
  }
  const text = src.string(http, `${path}.http`);
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'http:' || /\s/.test(text))
    src.fail(
      http,
      `${path}.http`,
      `${JSON.stringify(text)} is not an http:// URL`,
      'e.g. http: http://localhost:8082/health',
    );
  if (!LOCAL_HOSTS.has(url.hostname))
    src.fail(
      http,
      `${path}.http`,
      `${JSON.stringify(text)} is not on localhost`,
      "A sidecar runs in the app's container: probe it at localhost or 127.0.0.1.",
    );
  return { kind: 'http', url: text };
}

/** A duration (`30s`, `2m`, `30`, `1500ms` rounded up to whole seconds) within [min, max]. */
function seconds(
  src: YamlSource,
  fields: Map<string, Node | null>,
  path: string,
  key: string,
  fallback: number,
  min: number,
  max: number,
  hint?: string,
): number {
  const node = fields.get(key);
  if (node === undefined) return fallback;
  const text = src.scalarText(node, `${path}.${key}`).trim();
  const match = DURATION.exec(text);
  if (!match) src.fail(node, `${path}.${key}`, `${JSON.stringify(text)} is not a duration like 30s or 2m`);
  const n = Number(match[1]);
  const value =
    match[2] === 'h' ? n * 3600 : match[2] === 'm' ? n * 60 : match[2] === 'ms' ? Math.ceil(n / 1000) : n;
  if (value < min || value > max)
    src.fail(node, `${path}.${key}`, `${JSON.stringify(text)} is not between ${min}s and ${max}s`, hint);
  return value;
}

function describeValue(node: Node | null | undefined): string {
  if (isScalar(node)) return JSON.stringify(node.value);
  if (isMap(node)) return 'a map';
  return 'this value';
}
