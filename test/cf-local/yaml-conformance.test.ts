/**
 * cf-local against the real builder, YAML by YAML: each case of fixtures/conformance/yaml.json
 * put a launch.yml or config.yml in front of Cloud Foundry's own builder (built from its source,
 * outside this repository) through fixtures/buildpacks/yaml-writer, and its outcome was recorded.
 * cf-local must stage the same order and env to the same outcome: exit status and failure line,
 * result.json as a whole, and the droplet's staging_info.yml.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stage } from '../../tools/cf-local/index.js';
import type { BuilderCase } from '../../tools/conformance/builder-cases.js';
import { FIXTURES } from '../support/buildpack.js';
import { tempDir } from '../support/tmp.js';

const corpus = JSON.parse(await readFile(join(FIXTURES, 'conformance', 'yaml.json'), 'utf8')) as {
  cases: BuilderCase[];
};

/** result.json with each buildpack's key (cf-local's is its dir) shown as its fixture name. */
function withFixtureKeys(text: string, dirs: Record<string, string>): unknown {
  let out = text;
  for (const [dir, name] of Object.entries(dirs))
    out = out.split(JSON.stringify(dir)).join(JSON.stringify(name));
  return JSON.parse(out) as unknown;
}

describe('cf-local reads launch.yml and config.yml as the real builder did (recorded)', () => {
  it('has launch.yml cases of the YAML 1.1 table and config.yml cases', () => {
    expect(corpus.cases.map((c) => c.case)).toEqual(
      expect.arrayContaining([
        'memory-octal',
        'memory-float',
        'memory-underscore',
        'memory-unit',
        'duplicate-keys',
        'alias-merge',
        'config-version-float',
        'config-key',
        'config-output-metadata',
        'final-entrypoint-prefix',
      ]),
    );
  });

  for (const recorded of corpus.cases) {
    it(`${recorded.case}: ${recorded.description}`, async () => {
      const dirs = Object.fromEntries(
        recorded.buildpacks.map((name) => [join(FIXTURES, 'buildpacks', name), name]),
      );
      const outDir = await tempDir('staged-');
      const outcome = await stage({
        appDir: join(FIXTURES, 'apps', 'config-server-app'),
        buildpacks: Object.keys(dirs),
        env: recorded.env,
        cacheDir: await tempDir('cache-'),
        outDir,
      });
      const { builder } = recorded;
      expect(outcome.ok ? 0 : outcome.failure.exitCode, outcome.log.join('\n')).toBe(builder.exitCode);
      if (!outcome.ok) expect(outcome.failure.message).toBe(builder.failure);
      const result = withFixtureKeys(await readFile(join(outDir, 'result.json'), 'utf8'), dirs);
      expect(result).toEqual(builder.result);
      if (builder.stagingInfo !== null) {
        const info = JSON.parse(
          await readFile(join(outDir, 'droplet', 'staging_info.yml'), 'utf8'),
        ) as unknown;
        expect(info).toEqual(builder.stagingInfo);
      }
    });
  }
});
