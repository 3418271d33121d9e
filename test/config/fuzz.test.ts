/**
 * Property-based fuzzing of the pure path from sidecars.yml to launch.yml: parse, merge, plan,
 * build, serialise. For every input, staging either succeeds or fails with a UserError (never
 * another exception), and every launch.yml it would write reads back, as the lifecycle's Go
 * yaml.v2 (YAML 1.1) would, into exactly what was meant and passes the contract's checks.
 * In-process and pure, so it runs its cases in a few seconds.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mergeDocuments } from '../../src/config/load.js';
import { parseSidecarsDocument } from '../../src/config/parse.js';
import type { BuildpackManifest } from '../../src/dependencies/manifest-types.js';
import { UserError } from '../../src/errors.js';
import { buildLaunchYml } from '../../src/launch/launch-config.js';
import type { LaunchYml } from '../../src/launch/launch-types.js';
import { lifecycleYaml } from '../../src/launch/launch-yml.js';
import { checkLaunchYml } from '../../src/packaging/check-launch.js';
import { planSidecars } from '../../src/phases/plan-sidecars.js';
import { SHA, yamlText } from '../support/sidecars-yml-arbitrary.js';

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
      if (process.env.FUZZ_STATS) console.log(`staged ${staged}`);
      // The generator must reach the writer often, or the property says little about it.
      expect(staged).toBeGreaterThan(BATCH_RUNS / 25);
    },
  );
});
