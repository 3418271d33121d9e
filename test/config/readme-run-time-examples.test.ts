/** Every YAML example of the README's "Run-time features" section parses with the real loader. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseSidecarsDocument } from '../../src/config/parse.js';
import { REPO_ROOT } from '../support/buildpack.js';

it('the run-time feature examples in the README are valid sidecars.yml', async () => {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Run-time features'), readme.indexOf('## Troubleshooting'));
  const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  for (const block of blocks) {
    // A snippet of one key goes under a minimal sidecar; a whole document stays as it is.
    const doc = block.startsWith('sidecars:')
      ? block
      : [
          'sidecars:',
          '  - name: x',
          '    dependency: x',
          '    memory: 64M',
          ...block.split('\n').map((l) => `    ${l}`),
        ].join('\n');
    const sidecar = parseSidecarsDocument(doc, 'README.md').sidecars[0];
    // Each example sets a run-time feature: ready/health/stop/credentials/restart/over_memory/
    // priority, cf_metadata or output.
    expect(sidecar?.runtime ?? sidecar?.cfMetadata ?? sidecar?.output, block).toBeDefined();
  }
});
