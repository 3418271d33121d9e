/** The PATH cf-local gives staging and containers: the stack's dirs, node hidden, never stale. */
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pathFor, shadowsDir, STACK_PATH, stackPath } from '../../tools/cf-local/stack-path.js';
import { tempDir } from '../support/tmp.js';

async function tool(dir: string, name: string): Promise<void> {
  await writeFile(join(dir, name), '#!/bin/sh\n', { mode: 0o755 });
}

describe("cf-local's stack PATH", () => {
  it("holds the stack's dirs (or their shadows) and nothing of the host's own PATH", async () => {
    const dirs = (await pathFor(false)).split(':');
    expect(dirs.length).toBeGreaterThan(0);
    for (const dir of dirs)
      expect(STACK_PATH.split(':').includes(dir) || dir.startsWith(shadowsDir()), dir).toBe(true);
    for (const dir of dirs) expect(await readdir(dir), dir).not.toContain('node');
  });

  it('sees a tool installed after the first run, and keeps two shadows of a dir at most', async () => {
    const dir = await tempDir('system-bin-');
    await tool(dir, 'node');
    await tool(dir, 'tool1');
    const first = await stackPath(dir);
    expect(await readdir(first)).toEqual(['tool1']);
    for (const [i, name] of ['tool2', 'tool3', 'tool4'].entries()) {
      await tool(dir, name);
      const later = new Date(Date.now() + (i + 1) * 1000);
      await utimes(dir, later, later);
      await stackPath(dir);
    }
    const now = await stackPath(dir);
    expect((await readdir(now)).sort()).toEqual(['tool1', 'tool2', 'tool3', 'tool4']);
    const prefix = now.slice(shadowsDir().length + 1).split('-')[0] as string;
    const kept = (await readdir(shadowsDir())).filter((n) => n.startsWith(`${prefix}-`));
    expect(kept.length).toBeLessThanOrEqual(2);
  });

  it('with --host-node, adds the dir of the node running cf-local after the stack', async () => {
    const path = await pathFor(true);
    expect(path.startsWith(`${STACK_PATH}:`)).toBe(true);
    expect(path.split(':').at(-1)).toBe(join(process.execPath, '..'));
  });
});
