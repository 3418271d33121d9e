/**
 * Property-based fuzzing of the pure path from sidecars.yml to launch.yml: parse, merge, plan,
 * build, serialise. For every input, staging either succeeds or fails with a UserError (never
 * another exception), and every launch.yml it would write reads back, as the lifecycle's Go
 * yaml.v2 (YAML 1.1) would, into exactly what was meant and passes the contract's checks.
 * In-process and pure, so it runs its cases in a few seconds.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { mergeDocuments } from '../../src/config/load.js';
import { parseSidecarsDocument } from '../../src/config/parse.js';
import type { BuildpackManifest } from '../../src/dependencies/manifest-types.js';
import { UserError } from '../../src/errors.js';
import { buildLaunchYml } from '../../src/launch/launch-config.js';
import type { LaunchYml } from '../../src/launch/launch-types.js';
import { lifecycleYaml } from '../../src/launch/launch-yml.js';
import { checkLaunchYml } from '../../src/packaging/check-launch.js';
import { planSidecars } from '../../src/phases/plan-sidecars.js';

const SHA = 'a'.repeat(64);
const NOW = new Date('2026-01-01T00:00:00Z');
const MANIFEST: BuildpackManifest = {
  language: 'sidecar',
  default_versions: [{ name: 'config-server', version: '1.x' }],
  dependency_deprecation_dates: [],
  dependencies: ['1.0.0', '1.2.0', '2.0.0'].map((version) => ({
    name: 'config-server',
    version,
    uri: `https://example.com/config-server-${version}.tgz`,
    sha256: SHA,
    cf_stacks: ['cflinuxfs4'],
  })),
  sidecar_defaults: { 'config-server': { command: './config-server', memory: '64M' } },
};

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
const yamlText = fc.oneof(
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

/** What supply would write for `text`, or the UserError it would stop with. */
function stage(text: string): { launch: LaunchYml; written: string } | UserError {
  try {
    const doc = mergeDocuments([parseSidecarsDocument(text, 'sidecars.yml')]);
    const plan = planSidecars({ ...doc, sources: ['sidecars.yml'] }, MANIFEST, 'cflinuxfs4', NOW, '0');
    const launch = buildLaunchYml('0', plan.sidecars);
    return { launch, written: lifecycleYaml(launch) };
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
}

/** The contract's schema (cf-contract section 2) beyond what checkLaunchYml covers. */
function contractProblems(launch: LaunchYml, written: string): string[] {
  const problems = checkLaunchYml(written, '/tmp/staging/deps').problems.filter(
    (p) => p !== 'launch.yml has no processes',
  );
  // Read as the lifecycle does (Go yaml.v2 speaks YAML 1.1), it must be exactly what was meant.
  const asLifecycle: unknown = parse(written, { version: '1.1' });
  if (JSON.stringify(asLifecycle) !== JSON.stringify(launch)) problems.push('does not read back as written');
  for (const process of launch.processes) {
    const sidecarFor = process.platforms?.cloudfoundry?.sidecar_for ?? [];
    if (sidecarFor.length === 0) problems.push(`${process.type}: no sidecar_for`);
    if (new Set(sidecarFor).size !== sidecarFor.length)
      problems.push(`${process.type}: duplicate sidecar_for`);
    if (sidecarFor.some((t) => typeof t !== 'string' || t === '' || t.length > 255))
      problems.push(`${process.type}: bad process type in sidecar_for`);
    if (sidecarFor.includes(process.type)) problems.push(`${process.type}: a sidecar of itself`);
    if (process.command.includes('\0')) problems.push(`${process.type}: NUL in command`);
    // A fetched sidecar starts in its install dir; one in the app's files (neither dependency nor
    // uri) in the app dir.
    const dirs = [`cd "$DEPS_DIR/0/sidecars/${process.type}" && `, 'cd "$DEPS_DIR/../app" && '];
    if (!dirs.some((dir) => process.command.startsWith(dir)))
      problems.push(`${process.type}: command does not start in the install dir or the app dir`);
  }
  return problems;
}

const RUNS = 10_000;
// In batches, each its own test: one synchronous 10,000-case loop blocked the worker for over a
// minute on a loaded machine, long enough for vitest's worker RPC (60 s) to time out.
const BATCHES = 10;
const BATCH_RUNS = RUNS / BATCHES;

describe('sidecars.yml to launch.yml, fuzzed', () => {
  // Synchronous tests run back to back without a turn of the event loop: yield after each
  // batch, or the worker answers vitest's RPC only after all ten (vitest-dev/vitest#6479).
  afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

  it.each(Array.from({ length: BATCHES }, (_, i) => i + 1))(
    `stages or fails with a UserError, and writes only launch.yml files the lifecycle accepts (batch %i of ${BATCHES}, ${BATCH_RUNS} cases)`,
    () => {
      let staged = 0;
      fc.assert(
        fc.property(yamlText, (text) => {
          const result = stage(text);
          if (result instanceof UserError) {
            expect(result.describe()).not.toMatch(/\n\s+at /);
            return;
          }
          if (result.launch.processes.length > 0) staged++;
          if (process.env.FUZZ_STATS)
            console.log(result.launch.processes.map((p) => p.command.length).join(','));
          expect(contractProblems(result.launch, result.written), result.written).toEqual([]);
        }),
        { numRuns: BATCH_RUNS },
      );
      // The generator must reach the writer often, or the property says little about it.
      expect(staged).toBeGreaterThan(BATCH_RUNS / 20);
    },
  );
});
