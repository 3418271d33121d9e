/**
 * Generated sidecars.yml texts for property tests: documents of mostly plausible, sometimes
 * hostile sidecars, in any YAML style, sometimes mangled after the fact. The fuzz test stages
 * them; the schema test holds schema/sidecars.schema.json to what the parser accepts.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';

export const SHA = 'a'.repeat(64);

/** Strings that tend to break YAML, shells and Cloud Controller. */
const nasty = fc.constantFrom(
  '',
  ' ',
  'web',
  'worker',
  'yes',
  'on',
  'null',
  '~',
  '0755',
  '1_000',
  '0x1F',
  '1:20',
  '2024-01-01',
  '-',
  '- a',
  ': x',
  '#x',
  '&a',
  '*a',
  '!!str',
  '"',
  "'",
  '$HOME',
  '${X:-y}',
  '`id`',
  '$(id)',
  "it's",
  'a"b',
  '\\',
  '\n',
  'a\nb',
  '\t',
  '\0',
  '\u2028',
  'é',
  '🚀',
  '%',
  '{}',
  '[]',
  'a'.repeat(255),
  'a'.repeat(256),
);
const text = fc.oneof(fc.string({ maxLength: 12 }), nasty, fc.stringMatching(/^[a-z][a-z0-9._-]{0,10}$/));
const scalar = fc.oneof(
  text,
  fc.integer({ min: -5, max: 100_000 }),
  fc.constantFrom(0, -1, 0.5, 1e21, Number.MAX_SAFE_INTEGER, true, false, null),
);
const value = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(text, scalar, { maxKeys: 2 }) },
);
/** Mostly `good`, sometimes `bad`: documents must get deep enough to reach the writer. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: bad });
/** As mostly, rarer still: for the many options a sidecar may have, so that enough documents stage. */
const rarelyBad = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 40, arbitrary: good }, { weight: 1, arbitrary: bad });

const memory = mostly(
  fc.oneof(
    fc.constantFrom('64M', '256MB', '1G', '1.5G', '0.1M', ' 128 ', '64G'),
    fc.integer({ min: 1, max: 4096 }),
  ),
  fc.oneof(
    fc.constantFrom('0', '-1', '0M', '65G', '100T', 'lots', '1e3'),
    fc.integer({ min: -2, max: 70_000 }),
    value,
  ),
);
const command = mostly(
  fc.oneof(
    fc.constantFrom(
      './agent',
      `./agent --name "it's $HOME" 'a $b' \`c\``,
      'exec ./agent 2>&1 | tee log',
      'printf "%s" "$X"',
    ),
    fc.string({ minLength: 1, maxLength: 40 }),
  ),
  fc.oneof(
    { weight: 4, arbitrary: value },
    {
      // Near Cloud Controller's 4096-character limit, once the install dir and env are prepended.
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 3950, max: 4100 }), fc.constantFrom('x', "'", '$'))
        .map(([n, c]) => c.repeat(n)),
    },
  ),
);
const name = mostly(fc.stringMatching(/^[a-z][a-z0-9._-]{0,20}$/), fc.oneof(text, value));
const processTypes = mostly(
  fc.uniqueArray(mostly(fc.constantFrom('web', 'worker', 'clock'), name), { minLength: 1, maxLength: 3 }),
  value,
);
const env = mostly(
  fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), fc.oneof(text, scalar), { maxKeys: 3 }),
  fc.oneof(fc.dictionary(text, scalar, { maxKeys: 2 }), value),
);

/** One sidecar: either from the manifest or from a uri, with mostly plausible, sometimes hostile values. */
/** Run-time options: with health, stop or credentials the command is wrapped in the supervisor. */
const runtimeOptions = {
  ready: mostly(
    fc.constantFrom(
      { tcp: 8082 },
      { http: 'http://localhost:8082/health', timeout: '30s', on_timeout: 'warn' },
    ),
    value,
  ),
  health: mostly(fc.constantFrom({ tcp: 8082, interval: '10s' }, { http: 'http://localhost:8082/' }), value),
  stop: mostly(fc.constantFrom({ grace: '8s' }, { grace: '1s' }), value),
  credentials: mostly(
    fc.constantFrom(
      [{ name: 'config-db', env: { DB_PASSWORD: 'password' } }],
      [{ tag: "it's", env: { TOKEN: 'client.secret' } }],
    ),
    value,
  ),
  restart: rarelyBad(
    fc.constantFrom('never', 'on-failure', 'always', { policy: 'always', max_restarts: 3, within: '5m' }),
    value,
  ),
  // restart needs a restart policy: it stages only sometimes.
  over_memory: rarelyBad(fc.constant('warn'), fc.oneof(fc.constant('restart'), value)),
  priority: rarelyBad(fc.constantFrom('normal', 'low', 'lowest'), value),
  cf_metadata: rarelyBad(fc.boolean(), value),
  output: rarelyBad(fc.constantFrom('all', 'errors'), value),
};
const common = { name, command, process_types: processTypes, memory, env, ...runtimeOptions };
const sidecar = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        ...common,
        dependency: mostly(fc.constant('config-server'), text),
        version: mostly(fc.constantFrom('1.x', '2.0.0', '3.x', 'latest', '*'), value),
      },
      { requiredKeys: ['name', 'dependency', 'memory'] },
    ),
  },
  {
    weight: 6,
    arbitrary: fc.record(
      {
        ...common,
        uri: mostly(
          fc.constantFrom('https://e.com/a.tgz', 'http://u:p@e.com/a%20b?t=1'),
          fc.oneof(fc.constant('ftp://e.com/a'), text),
        ),
        sha256: mostly(fc.constantFrom(SHA, SHA.toUpperCase()), text),
      },
      { requiredKeys: ['name', 'uri', 'sha256', 'command', 'memory'] },
    ),
  },
  // An agent turned on by a bound service, its credentials read from that service.
  {
    weight: 2,
    arbitrary: fc.record(
      {
        ...common,
        dependency: fc.constant('config-server'),
        when_bound: mostly(fc.constantFrom({ label: 'newrelic' }, { tag: 'apm' }, { name: "it's" }), value),
        credentials: mostly(fc.constantFrom({ LICENSE_KEY: 'licenseKey' }, [{ env: { K: 'a.b' } }]), value),
      },
      { requiredKeys: ['name', 'dependency', 'memory', 'when_bound'] },
    ),
  },
  // Anything at all, stray keys included.
  {
    weight: 1,
    arbitrary: fc.record(
      { ...common, uri: text, dependency: text, sha256: text, memroy: value },
      { requiredKeys: [] },
    ),
  },
);

const document = fc.oneof(
  { weight: 8, arbitrary: fc.record({ sidecars: fc.array(sidecar, { minLength: 1, maxLength: 3 }) }) },
  {
    weight: 2,
    arbitrary: fc.record(
      { sidecars: fc.oneof(fc.array(sidecar, { maxLength: 2 }), value), command },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: value },
);

/** Documents as YAML text, in any style, sometimes mangled after the fact. */
export const yamlText = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        document,
        fc.constantFrom<'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE'>('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
      )
      .map(([doc, style]) => stringify(doc, { defaultStringType: style, lineWidth: 0 })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        document,
        fc.nat(),
        fc.constantFrom('\t', ':', '- ', '\n', '"', '&a ', '*a', '<<: ', '---\n', ' '),
      )
      .map(([doc, at, insert]) => {
        const yaml = stringify(doc);
        const i = at % (yaml.length + 1);
        return yaml.slice(0, i) + insert + yaml.slice(i);
      }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);
