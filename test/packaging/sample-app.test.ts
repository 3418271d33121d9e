/** The app `package.sh --verify` stages by default: made from the zip's own manifest. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeDocuments } from '../../src/config/load.js';
import { parseSidecarsDocument } from '../../src/config/parse.js';
import { parseManifest } from '../../src/dependencies/manifest.js';
import { sampleApp } from '../../src/packaging/sample-app.js';
import { planSidecars } from '../../src/phases/plan-sidecars.js';
import { REPO_ROOT } from '../support/buildpack.js';

describe('sampleApp', () => {
  it('names every sidecar of the real manifest, with the files their commands read, and plans with it', async () => {
    const manifest = parseManifest(await readFile(join(REPO_ROOT, 'manifest.yml'), 'utf8'));
    const app = sampleApp(manifest);
    expect(app.sidecars).toEqual(['otelcol', 'otelcol-otlp']);
    expect(Object.keys(app.files).sort()).toEqual(['otelcol.yaml', 'sidecars.yml']);
    const doc = mergeDocuments([parseSidecarsDocument(app.files['sidecars.yml'] ?? '', 'sidecars.yml')]);
    const plan = planSidecars({ ...doc, sources: ['sidecars.yml'] }, manifest, 'cflinuxfs4', new Date(), '0');
    expect(plan.sidecars.map((s) => [s.name, s.memoryMb])).toEqual([
      ['otelcol', 128],
      ['otelcol-otlp', 64],
    ]);
  });

  it('gives a manifest without sidecars (a bare zip) a sidecar in the app files', () => {
    const app = sampleApp({
      language: 'sidecar',
      default_versions: [],
      dependency_deprecation_dates: [],
      dependencies: [{ name: 'node', version: '22.0.0', uri: 'https://x/n.tgz', sha256: 'a'.repeat(64) }],
    });
    expect(app.sidecars).toEqual(['sample-sidecar']);
    const doc = parseSidecarsDocument(app.files['sidecars.yml'] ?? '', 'sidecars.yml');
    expect(doc.sidecars[0]).toMatchObject({
      name: 'sample-sidecar',
      command: './sample-sidecar.sh',
      memoryMb: 16,
    });
    expect(app.files['sample-sidecar.sh']).toMatch(/^#!\/bin\/sh\n/);
  });

  it('gives a dependency without defaults a command and memory', () => {
    const app = sampleApp({
      language: 'sidecar',
      default_versions: [],
      dependency_deprecation_dates: [],
      dependencies: [{ name: 'agent', version: '1.0.0', uri: 'https://x/a.tgz', sha256: 'a'.repeat(64) }],
    });
    expect(app.files['sidecars.yml']).toBe(
      'sidecars:\n  - name: agent\n    dependency: agent\n    command: ./agent\n    memory: 64M\n',
    );
  });
});
