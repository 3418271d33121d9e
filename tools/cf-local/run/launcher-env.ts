/**
 * What the lifecycle's launcher does to a process's environment before it runs the profile
 * scripts (buildpackapplifecycle env/env.go, CalcEnv; cf-contract section 4). Pure: the
 * container's env and the app dir in, the env the launcher execs with out.
 */
import { resolve } from 'node:path';

export function launcherEnv(env: Readonly<Record<string, string>>, appDir: string): Record<string, string> {
  const dir = resolve(appDir);
  const out: Record<string, string> = {
    ...env,
    HOME: dir,
    TMPDIR: resolve(dir, '..', 'tmp'),
    DEPS_DIR: resolve(dir, '..', 'deps'),
  };
  const vcap = parseObject(env.VCAP_APPLICATION);
  if (vcap) {
    vcap.host = '0.0.0.0';
    vcap.instance_id = env.INSTANCE_GUID ?? '';
    const port = goAtoi(env.PORT);
    if (port !== undefined) vcap.port = port;
    const index = goAtoi(env.INSTANCE_INDEX);
    if (index !== undefined) vcap.instance_index = index;
    out.VCAP_APPLICATION = goJson(vcap);
  }
  // The launcher interpolates CredHub references here when the options name a CredHub; cf-local
  // has none, and the variable is removed either way.
  delete out.VCAP_PLATFORM_OPTIONS;
  const databaseUrl = env.VCAP_SERVICES ? databaseUri(env.VCAP_SERVICES) : undefined;
  if (databaseUrl) out.DATABASE_URL = databaseUrl;
  return out;
}

/** DATABASE_URL from the first bound service whose credentials.uri is MySQL or PostgreSQL. */
export function databaseUri(vcapServices: string): string | undefined {
  const services = parseObject(vcapServices);
  if (!services) return undefined;
  const schemes: Record<string, string> = {
    mysql: 'mysql2',
    mysql2: 'mysql2',
    postgres: 'postgres',
    postgresql: 'postgres',
  };
  for (const instances of Object.values(services)) {
    if (!Array.isArray(instances)) continue;
    for (const instance of instances as { credentials?: { uri?: unknown } }[]) {
      const uri = instance?.credentials?.uri;
      if (typeof uri !== 'string' || uri === '') continue;
      const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
      const mapped = scheme === undefined ? undefined : schemes[scheme];
      if (mapped !== undefined) return `${mapped}${uri.slice(scheme!.length)}`;
    }
  }
  return undefined;
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Go's strconv.Atoi: an optional sign and decimal digits, nothing else. */
function goAtoi(text: string | undefined): number | undefined {
  return text !== undefined && /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * encoding/json's Marshal of a map[string]interface{}: keys sorted, no spaces, and <, >, &,
 * U+2028 and U+2029 escaped, as Go writes them.
 */
export function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${goString(k)}:${goJson(v)}`).join(',')}}`;
  }
  if (typeof value === 'string') return goString(value);
  return JSON.stringify(value);
}

function goString(text: string): string {
  return JSON.stringify(text).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
