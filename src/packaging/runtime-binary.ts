/**
 * The Node runtime's `bin/node`, out of the runtime .tgz, for a zip that carries it unpacked
 * (package-plan.ts, runtimePath). Kept next to the download cache, so that packaging again takes
 * it from there.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { extract } from 'tar';
import { UserError } from '../errors.js';

/** The path of `bin/node` unpacked from `tgz` (whose sha256 is `sha256`) under `cacheDir`. */
export async function runtimeBinary(tgz: string, sha256: string, cacheDir: string): Promise<string> {
  const dir = join(cacheDir, 'node-runtime', sha256.toLowerCase());
  const binary = join(dir, 'bin', 'node');
  if (await isFile(binary)) return binary;
  const temp = `${dir}.unpacking.${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  try {
    await extract({
      file: tgz,
      cwd: temp,
      filter: (path) => /^(\.\/)?bin\/node$/.test(path),
    });
    if (!(await isFile(join(temp, 'bin', 'node'))))
      throw new UserError(`the node runtime ${tgz} has no bin/node file at its root`, {
        hint: 'the bin/ shims run bin/node in place (a link does not do); package a Cloud Foundry build of Node.js',
      });
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return binary;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
