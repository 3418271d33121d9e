/** Extraction of real archives made by the system tar and zip, and the refusals that keep it safe. */
import { lstat, readFile, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { extractArtifact, detectKind } from '../../src/archive/extract.js';
import { UnpackBudget } from '../../src/archive/limits.js';
import { makeArchive, writeTree, type ArchiveFormat } from '../support/archives.js';
import { tempDir } from '../support/tmp.js';

async function extract(archivePath: string, maxBytes = 1024 ** 3) {
  const dest = join(await tempDir('dest-'), 'sidecar');
  const kind = await extractArtifact({
    archivePath,
    name: 'agent.archive',
    binaryName: 'agent',
    dest,
    budget: new UnpackBudget('agent.archive', maxBytes),
  });
  return { dest, kind };
}

const FILES = {
  agent: { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
  'conf/agent.yml': 'a: 1\n',
};

describe('extractArtifact', () => {
  it.each<[ArchiveFormat, string]>([
    ['tgz', 'tar.gz'],
    ['tar.xz', 'tar.xz'],
    ['zip', 'zip'],
  ])('unpacks a %s with its files and modes', async (format, kind) => {
    const archive = await makeArchive(join(await tempDir(), `a.${format}`), FILES, format);
    const result = await extract(archive);
    expect(result.kind).toBe(kind);
    expect(await readFile(join(result.dest, 'conf/agent.yml'), 'utf8')).toBe('a: 1\n');
    expect((await lstat(join(result.dest, 'agent'))).mode & 0o111).not.toBe(0);
  });

  it('installs a bare binary under its name, executable', async () => {
    const bin = join(await tempDir(), 'download');
    await writeFile(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
    const result = await extract(bin);
    expect(result.kind).toBe('binary');
    expect(await readdir(result.dest)).toEqual(['agent']);
    expect((await lstat(join(result.dest, 'agent'))).mode & 0o777).toBe(0o755);
  });

  it('keeps a symlink that stays inside', async () => {
    const tree = await writeTree(FILES);
    await symlink('agent', join(tree, 'agent-link'));
    const archive = join(await tempDir(), 'a.tgz');
    await execa('tar', ['-czf', archive, '-C', tree, '.']);
    const { dest } = await extract(archive);
    expect(await readlink(join(dest, 'agent-link'))).toBe('agent');
  });

  describe('failure cases', () => {
    async function tarWith(args: string[], cwd: string): Promise<string> {
      const archive = join(await tempDir(), 'evil.tgz');
      await execa('tar', ['-czf', archive, ...args], { cwd });
      return archive;
    }

    it('refuses an entry with ../ and leaves no install dir', async () => {
      const root = await writeTree({ 'inner/x': 'x', 'outside.txt': 'evil' });
      const archive = await tarWith(['-P', 'inner/../outside.txt'], root);
      const dest = join(await tempDir('dest-'), 'sidecar');
      await expect(
        extractArtifact({
          archivePath: archive,
          name: 'evil.tgz',
          binaryName: 'x',
          dest,
          budget: new UnpackBudget('evil.tgz', 1e9),
        }),
      ).rejects.toThrow('evil.tgz: refused entry "inner/../outside.txt": path contains ".."');
      await expect(lstat(dest)).rejects.toThrow();
      expect(await readdir(join(dest, '..'))).toEqual([]);
    });

    it('refuses an absolute path', async () => {
      const root = await writeTree({ x: 'x' });
      const archive = await tarWith(['-P', join(root, 'x')], root);
      await expect(extract(archive)).rejects.toThrow('absolute path');
    });

    it('refuses a symlink pointing outside', async () => {
      const root = await tempDir();
      await symlink('../../etc/passwd', join(root, 'link'));
      await expect(extract(await tarWith(['link'], root))).rejects.toThrow(
        'symlink points outside the directory',
      );
    });

    it('refuses a symlink to an absolute path', async () => {
      const root = await tempDir();
      await symlink('/etc/passwd', join(root, 'link'));
      await expect(extract(await tarWith(['link'], root))).rejects.toThrow('symlink to an absolute path');
    });

    it('refuses a zip entry escaping with ../', async () => {
      const root = await writeTree({ 'a/x': 'x', evil: 'evil' });
      const archive = join(await tempDir(), 'evil.zip');
      await execa('zip', ['-q', archive, 'a/../evil'], { cwd: root });
      await expect(extract(archive)).rejects.toThrow('refused entry "a/../evil": path contains ".."');
    });

    it('refuses to unpack more than the budget, naming the env var that raises it', async () => {
      const archive = await makeArchive(join(await tempDir(), 'big.tgz'), {
        big: { content: Buffer.alloc(4 * 1024 * 1024) },
      });
      await expect(extract(archive, 1024 * 1024)).rejects.toThrow(
        /unpacks to more than 1M.*decompression bomb/,
      );
      await expect(extract(archive, 1024 * 1024)).rejects.toMatchObject({
        details: { hint: expect.stringContaining('SIDECAR_MAX_UNPACKED_SIZE') },
      });
    });

    it('reports a damaged archive as such', async () => {
      const path = join(await tempDir(), 'broken.tgz');
      await writeFile(path, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 7)]));
      await expect(extract(path)).rejects.toThrow(/cannot be unpacked as a tar archive/);
    });
  });
});

describe('detectKind', () => {
  it('reads the format from magic bytes', () => {
    expect(detectKind(Buffer.from([0x1f, 0x8b]))).toBe('tar.gz');
    expect(detectKind(Buffer.from('PK\u0003\u0004'))).toBe('zip');
    expect(detectKind(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))).toBe('tar.xz');
    expect(detectKind(Buffer.from('#!/bin/sh'))).toBe('binary');
  });
});
