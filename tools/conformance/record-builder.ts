/**
 * Records the builder cases of fixtures/conformance/yaml.json with Cloud Foundry's REAL builder
 * (buildpackapplifecycle, built from its source outside this repository; see fixtures/README.md).
 * Keeps each case's inputs and replaces its `builder` outputs:
 *
 *   REAL_BUILDER=/path/to/builder tsx tools/conformance/record-builder.ts
 *
 * Buildpacks are laid out as Diego does, in buildpacksDir/<xxhash64(key)>, and staged with
 * `-skipDetect=true`; the app is fixtures/apps/config-server-app.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { xxhash64Hex } from '../cf-local/staging/xxhash64.js';
import type { BuilderCase } from './builder-cases.js';

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const corpusFile = join(fixtures, 'conformance', 'yaml.json');
const builder = process.env.REAL_BUILDER;
if (!builder) throw new Error('set REAL_BUILDER to the real builder binary');

const corpus = JSON.parse(await readFile(corpusFile, 'utf8')) as { cases: BuilderCase[] };
for (const c of corpus.cases) {
  const root = await mkdtemp(join(tmpdir(), `record-builder-${c.case}-`));
  const [app, bps, cache, out, tmp] = ['app', 'bps', 'cache', 'out', 'tmp'].map((d) =>
    join(root, d),
  ) as string[];
  await cp(join(fixtures, 'apps', 'config-server-app'), app!, { recursive: true });
  for (const d of [bps!, cache!, out!, tmp!]) await mkdir(d, { recursive: true });
  for (const name of c.buildpacks)
    await cp(join(fixtures, 'buildpacks', name), join(bps!, xxhash64Hex(name)), { recursive: true });
  const run = spawnSync(
    builder,
    [
      `-buildDir=${app}`,
      `-outputDroplet=${join(out!, 'droplet.tgz')}`,
      `-outputMetadata=${join(out!, 'result.json')}`,
      `-outputBuildArtifactsCache=${join(out!, 'cache.tgz')}`,
      `-buildpacksDir=${bps}`,
      `-buildArtifactsCacheDir=${cache}`,
      `-buildpackOrder=${c.buildpacks.join(',')}`,
      '-skipDetect=true',
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        HOME: root,
        TMPDIR: tmp!,
        CF_STACK: 'cflinuxfs4',
        MEMORY_LIMIT: '1024m',
        VCAP_APPLICATION: '{"application_name":"app","limits":{"mem":1024}}',
        ...c.env,
      },
    },
  );
  const exitCode = run.status ?? -1;
  const result = JSON.parse(await readFile(join(out!, 'result.json'), 'utf8').catch(() => 'null')) as unknown;
  let stagingInfo: unknown = null;
  if (exitCode === 0) {
    const info = spawnSync('tar', ['-xzOf', join(out!, 'droplet.tgz'), './staging_info.yml'], {
      encoding: 'utf8',
    });
    stagingInfo = JSON.parse(info.stdout) as unknown;
  }
  c.builder = { exitCode, failure: exitCode === 0 ? null : run.stderr.trim(), result, stagingInfo };
  console.log(`${c.case}: exit ${exitCode}${exitCode ? `: ${c.builder.failure}` : ''}`);
}
await writeFile(corpusFile, JSON.stringify(corpus, null, 2) + '\n');
