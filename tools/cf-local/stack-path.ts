/**
 * A PATH that looks like the stack's. The host plays cflinuxfs4 for every tool (bash, curl, tar,
 * python3 for our fixtures), with one exception that matters to this project: the stack has no
 * node, so a buildpack written in Node must bring its own. Each PATH directory holding node (or
 * npm, npx, corepack) is replaced by a shadow directory of symlinks to everything else in it.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exists } from './exists.js';

const HIDDEN = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack']);

/** A shadow of `dir` without the node tools, shared by every cf-local run on this machine. */
async function shadow(dir: string): Promise<string> {
  const target = join(tmpdir(), 'cf-local-stack-path', createHash('md5').update(dir).digest('hex'));
  if (await exists(target)) return target;
  await mkdir(join(tmpdir(), 'cf-local-stack-path'), { recursive: true });
  const building = await mkdtemp(`${target}.tmp-`);
  for (const name of await readdir(dir)) {
    if (!HIDDEN.has(name)) await symlink(join(dir, name), join(building, name));
  }
  // Another process may have finished the same shadow first; either copy is fine.
  await rename(building, target).catch(() => rm(building, { recursive: true, force: true }));
  return target;
}

/** `hostPath` with node hidden, as on cflinuxfs4. */
export async function stackPath(hostPath: string): Promise<string> {
  const out: string[] = [];
  for (const dir of hostPath.split(':').filter(Boolean)) {
    const names = await readdir(dir).catch(() => [] as string[]);
    out.push(names.some((n) => HIDDEN.has(n)) ? await shadow(dir) : dir);
  }
  return out.join(':');
}

/** The PATH of a staging or app container: the host's, with node hidden unless asked. */
export function pathFor(hostNode: boolean): Promise<string> {
  const host = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  return hostNode ? Promise.resolve(host) : stackPath(host);
}
