/** Every YAML example of docs/run-time.md parses with the real loader. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseSidecarsDocument } from '../../src/config/parse.js';
import { REPO_ROOT } from '../support/buildpack.js';

it('the run-time feature examples in docs/run-time.md are valid sidecars.yml', async () => {
  const doc = await readFile(join(REPO_ROOT, 'docs', 'run-time.md'), 'utf8');
  const section = doc.slice(0, doc.indexOf('## Troubleshooting'));
  const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  for (const block of blocks) {
    // A snippet of one key goes under a minimal sidecar; a whole document stays as it is.
    const yaml = block.startsWith('sidecars:')
      ? block
      : [
          'sidecars:',
          '  - name: x',
          '    dependency: x',
          '    memory: 64M',
          ...block.split('\n').map((l) => `    ${l}`),
        ].join('\n');
    const sidecar = parseSidecarsDocument(yaml, 'docs/run-time.md').sidecars[0];
    // Each example sets a run-time feature: ready/health/stop/credentials/restart/over_memory/
    // priority, cf_metadata or output.
    expect(sidecar?.runtime ?? sidecar?.cfMetadata ?? sidecar?.output, block).toBeDefined();
  }
});
