/** cf-local's caches under $TMPDIR stay bounded. */
import { mkdir, readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { keepNewest, touch } from '../../tools/cf-local/keep-newest.js';
import { tempDir } from '../support/tmp.js';

it('keeps the entries used last and removes the rest', async () => {
  const root = await tempDir('caches-');
  for (let i = 0; i < 20; i++) {
    await mkdir(join(root, `app${i}`));
    const t = new Date(Date.UTC(2026, 0, 1, 0, i));
    await utimes(join(root, `app${i}`), t, t);
  }
  await touch(join(root, 'app0')); // used again: now the newest
  await keepNewest(root, 16);
  const left = (await readdir(root)).sort();
  expect(left).toHaveLength(16);
  expect(left).toContain('app0');
  for (const gone of ['app1', 'app2', 'app3', 'app4']) expect(left).not.toContain(gone);
});
