/**
 * The JSON Schema of sidecars.yml (schema/sidecars.schema.json), built from the parser's own key
 * lists, value lists, patterns and limits, so that the two cannot drift: `npm run schema` writes
 * it, and a test fails when the file is not what this builds. Editors use it to complete and
 * check the file (yaml-language-server); the parser stays the judge, with its line numbers and
 * hints. The schema accepts every file the parser accepts; it may accept a few the parser then
 * refuses (a memory of 0, a sidecar named like a process type).
 *
 * Draft-07: the draft editors' YAML support knows best. Not part of the staging bundle.
 */
import {
  ENV_NAME,
  MAX_COMMAND_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PROCESS_TYPE_LENGTH,
  PROCESS_TYPE,
  SIDECAR_NAME,
} from './cc-rules.js';
import { SIDECAR_KEYS, TOP_LEVEL_KEYS, URI } from './parse.js';
import {
  CREDENTIALS_KEYS,
  DURATION,
  HEALTH_KEYS,
  MAX_STOP_GRACE_SECONDS,
  ON_TIMEOUT_VALUES,
  OVER_MEMORY_VALUES,
  PRIORITY_VALUES,
  READY_KEYS,
  RESTART_KEYS,
  RESTART_POLICY_VALUES,
  SERVICE_SELECTOR_KEYS,
  STOP_KEYS,
} from './parse-runtime-options.js';
import { MAX_SIDECAR_MEMORY_MB, SIZE } from './size.js';

type Schema = Record<string, unknown>;

/** A regex without flags, as JSON Schema patterns have none: `i` becomes `[kK]` classes. */
function pattern(regex: RegExp): string {
  if (!regex.flags.includes('i')) return regex.source;
  let out = '';
  for (let i = 0; i < regex.source.length; i++) {
    const c = regex.source[i] as string;
    if (c === '\\') {
      out += c + (regex.source[++i] ?? '');
      continue;
    }
    out += /[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
  }
  return out;
}

/** Every key of `keys` as a property (the parser's list, in its order), nothing else. */
function closedObject(
  keys: readonly string[],
  properties: Record<string, Schema>,
  extra: Schema = {},
): Schema {
  const missing = keys.filter((k) => !(k in properties));
  const unknown = Object.keys(properties).filter((k) => !keys.includes(k));
  if (missing.length || unknown.length)
    throw new Error(
      `schema and parser disagree: missing ${missing.join(', ')}; unknown ${unknown.join(', ')}`,
    );
  return {
    type: 'object',
    properties: Object.fromEntries(keys.map((k) => [k, properties[k]])),
    additionalProperties: false,
    ...extra,
  };
}

/**
 * A scalar the parser reads as text (scalarText): YAML's numbers, booleans and a written `null`
 * or `~` stay as written. (An empty value is refused by the parser; JSON cannot tell it apart.)
 */
const SCALAR = { type: ['string', 'number', 'boolean', 'null'] };
const FLAG = { anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['true', 'false'] }] };
/** The parser trims a duration before it matches DURATION. */
const DURATION_SCHEMA = {
  anyOf: [
    { type: 'string', pattern: `^\\s*(?:${pattern(DURATION).slice(1, -1)})\\s*$` },
    { type: 'integer', minimum: 0 },
  ],
  description: 'A duration: 30s, 2m, 1h, 500ms, or a number of seconds.',
};
const oneOfValues = (values: readonly string[], description: string) => ({
  type: 'string',
  enum: [...values],
  description,
});
const SELECTOR_PROPERTIES = Object.fromEntries(
  SERVICE_SELECTOR_KEYS.map((k) => [k, { type: 'string', minLength: 1 }]),
);
const exactlyOneOf = (keys: readonly string[]) => ({ oneOf: keys.map((k) => ({ required: [k] })) });
const atMostOneOf = (keys: readonly string[]) => ({
  not: { anyOf: keys.flatMap((a, i) => keys.slice(i + 1).map((b) => ({ required: [a, b] }))) },
});
const CREDENTIAL_ENV = {
  type: 'object',
  propertyNames: { pattern: pattern(ENV_NAME) },
  additionalProperties: { type: 'string', pattern: '^[^.]+(\\.[^.]+)*$' },
  minProperties: 1,
  description: 'Env var name: key path inside the service credentials (uri, db.password).',
};
const probe = (keys: readonly string[], extra: Record<string, Schema>) =>
  closedObject(
    keys,
    {
      tcp: { type: 'integer', minimum: 1, maximum: 65535, description: 'A port on 127.0.0.1.' },
      http: { type: 'string', pattern: '^http://', description: 'An http:// URL on localhost.' },
      ...extra,
    },
    exactlyOneOf(['tcp', 'http']),
  );

export function sidecarsSchema(): Schema {
  const selector = closedObject(
    SERVICE_SELECTOR_KEYS,
    SELECTOR_PROPERTIES,
    exactlyOneOf(SERVICE_SELECTOR_KEYS),
  );
  const credentialEntry = (selectorRule: Schema) =>
    closedObject(
      CREDENTIALS_KEYS,
      { ...SELECTOR_PROPERTIES, env: CREDENTIAL_ENV },
      { required: ['env'], ...selectorRule },
    );
  const sidecar = closedObject(
    SIDECAR_KEYS,
    {
      name: {
        type: 'string',
        pattern: SIDECAR_NAME.source,
        maxLength: MAX_NAME_LENGTH,
        description: "Unique per app: the sidecar's name in Cloud Foundry, its log tag and install dir.",
      },
      dependency: {
        type: 'string',
        description: "A dependency of the buildpack's manifest.yml (otelcol, ...).",
      },
      version: { ...SCALAR, description: 'With dependency: 1.2.3, 1.2.x, latest or a semver range.' },
      uri: { type: 'string', pattern: pattern(URI), description: 'An http(s) URL of the artifact.' },
      sha256: {
        type: ['string', 'number'],
        pattern: '^\\s*[0-9a-fA-F]{64}\\s*$',
        description: 'With uri: the sha256 of the artifact.',
      },
      command: { type: 'string', minLength: 1, maxLength: MAX_COMMAND_LENGTH },
      process_types: {
        type: 'array',
        items: { type: 'string', pattern: PROCESS_TYPE.source, maxLength: MAX_PROCESS_TYPE_LENGTH },
        minItems: 1,
        uniqueItems: true,
      },
      memory: {
        anyOf: [
          { type: 'integer', minimum: 1, maximum: MAX_SIDECAR_MEMORY_MB },
          { type: 'string', pattern: pattern(SIZE) },
        ],
        description: 'Reserved memory: 256 (MB), 256M, 256MB, 1G.',
      },
      env: {
        type: ['object', 'null'],
        propertyNames: { pattern: pattern(ENV_NAME) },
        additionalProperties: SCALAR,
      },
      cf_metadata: FLAG,
      output: oneOfValues(['all', 'errors'], 'errors: only stderr reaches cf logs.'),
      enabled: FLAG,
      required: { ...FLAG, description: "Operator's defaults only: apps cannot switch it off." },
      when_bound: { ...selector, description: 'Staged only when such a service is bound at staging.' },
      ready: probe(READY_KEYS, {
        timeout: DURATION_SCHEMA,
        on_timeout: oneOfValues(ON_TIMEOUT_VALUES, 'What a ready wait that times out does.'),
      }),
      health: probe(HEALTH_KEYS, {
        interval: DURATION_SCHEMA,
        timeout: DURATION_SCHEMA,
        failure_threshold: { type: 'integer', minimum: 1, maximum: 100 },
        start_period: DURATION_SCHEMA,
      }),
      stop: closedObject(
        STOP_KEYS,
        { grace: { ...DURATION_SCHEMA, description: `1s to ${MAX_STOP_GRACE_SECONDS}s.` } },
        { required: ['grace'] },
      ),
      // The strict form without when_bound comes in the sidecar's if/then/else below.
      credentials: {
        anyOf: [
          { type: 'array', items: credentialEntry(atMostOneOf(SERVICE_SELECTOR_KEYS)) },
          CREDENTIAL_ENV,
        ],
      },
      restart: {
        anyOf: [
          oneOfValues(RESTART_POLICY_VALUES, 'never, on-failure or always.'),
          closedObject(
            RESTART_KEYS,
            {
              policy: oneOfValues(RESTART_POLICY_VALUES, 'never, on-failure or always.'),
              max_restarts: { type: 'integer', minimum: 1, maximum: 1000 },
              within: DURATION_SCHEMA,
            },
            { required: ['policy'] },
          ),
        ],
      },
      over_memory: oneOfValues(OVER_MEMORY_VALUES, 'What staying above memory: does.'),
      priority: oneOfValues(PRIORITY_VALUES, 'CPU priority: low is nice 10, lowest nice 19.'),
    },
    {
      required: ['name'],
      // Without when_bound, each credentials entry names its service.
      if: { not: { required: ['when_bound'] } },
      then: {
        properties: {
          credentials: { type: 'array', items: credentialEntry(exactlyOneOf(SERVICE_SELECTOR_KEYS)) },
        },
      },
    },
  );
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'sidecars.yml of sidecar_buildpack',
    description: 'The sidecars a Cloud Foundry app runs beside its processes (docs/sidecars-yml.md).',
    ...closedObject(TOP_LEVEL_KEYS, {
      sidecars: { type: ['array', 'null'], items: sidecar },
      command: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_COMMAND_LENGTH,
        description: "The app's web command when sidecar_buildpack is the last buildpack.",
      },
    }),
  };
}
