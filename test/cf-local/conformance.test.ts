/**
 * cf-local against the real lifecycle builder: each case of fixtures/conformance/index-rules.json
 * was staged by Cloud Foundry's own builder (built from its source, outside this repository) and
 * its outcome recorded there as data. cf-local must stage the same buildpack order to the same
 * outcome: exit code and failure line, buildpack names, and the sidecars in result.json.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stage } from '../../tools/cf-local/index.js';
import { FIXTURES, tutorialBuildpack } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { tempDir } from '../support/tmp.js';

interface ConformanceCase {
  case: string;
  description: string;
  skipDetect: boolean;
  buildpacks: string[];
  builder: {
    exitCode: number;
    failureLine: string | null;
    /** null: the build wrote no result.json (detection failed). */
    buildpackNames: (string | null)[] | null;
    sidecars: { name: string; process_types: string[]; memory: number }[];
  };
}

const corpus = JSON.parse(await readFile(join(FIXTURES, 'conformance', 'index-rules.json'), 'utf8')) as {
  cases: ConformanceCase[];
};
let server: TestServer;
let sidecarBuildpack: string;

beforeAll(async () => {
  server = await startServer();
  sidecarBuildpack = await tutorialBuildpack(server);
});
afterAll(() => server.close());

function buildpackDir(name: string): string {
  return name === 'sidecar' ? sidecarBuildpack : join(FIXTURES, 'buildpacks', name);
}

describe('cf-local stages as the real lifecycle builder did (recorded)', () => {
  it('has cases for auto-detection of 1, 2 and 3, -b orders of 2, 10 and 11, and other buildpacks’ sidecars', () => {
    expect(corpus.cases.map((c) => c.case)).toEqual(
      expect.arrayContaining([
        'auto-detect-3',
        'auto-detect-1',
        'auto-detect-2',
        'b-2',
        'b-11-ours-at-09',
        'ours-at-1-behind-agent',
      ]),
    );
  });

  for (const recorded of corpus.cases) {
    it(`${recorded.case}: ${recorded.description}`, async () => {
      const dirs = recorded.buildpacks.map(buildpackDir);
      const outDir = await tempDir('staged-');
      const outcome = await stage({
        appDir: join(FIXTURES, 'apps', 'config-server-app'),
        buildpacks: recorded.skipDetect ? dirs : [],
        systemBuildpacks: recorded.skipDetect ? [] : dirs,
        cacheDir: await tempDir('cache-'),
        outDir,
      });
      const { builder } = recorded;
      if (builder.exitCode !== 0) {
        expect(outcome.ok, outcome.log.join('\n')).toBe(false);
        if (outcome.ok) return;
        expect(outcome.failure.exitCode).toBe(builder.exitCode);
        expect(outcome.failure.message).toBe(builder.failureLine);
        const resultFile = join(outDir, 'result.json');
        if (builder.buildpackNames === null) {
          await expect(readFile(resultFile, 'utf8')).rejects.toThrow(/ENOENT/);
          return;
        }
        // A failed build still writes result.json, with the buildpacks only.
        const written = JSON.parse(await readFile(resultFile, 'utf8')) as {
          lifecycle_metadata: { buildpacks: { name: string }[] };
          process_types: unknown;
        };
        expect(written.lifecycle_metadata.buildpacks.map((b) => b.name)).toEqual(builder.buildpackNames);
        expect(written.process_types).toBeNull();
        return;
      }
      expect(outcome.ok, outcome.log.join('\n')).toBe(true);
      if (!outcome.ok) return;
      const { result } = outcome;
      expect(result.lifecycle_metadata.buildpacks.map((b) => b.name ?? null)).toEqual(builder.buildpackNames);
      expect(
        result.sidecars.map((s) => ({ name: s.name, process_types: s.process_types, memory: s.memory })),
      ).toEqual(builder.sidecars);
    });
  }
});
