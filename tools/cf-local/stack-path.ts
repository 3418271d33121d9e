/**
 * A PATH like the stack's. A cflinuxfs4 container's PATH is /usr/local/bin:/usr/bin:/bin, and the
 * host plays the stack for every tool in those dirs (bash, curl, tar, and python3 for our
 * fixtures), never for what the host's own PATH adds (version managers' shims, ~/.cargo/bin).
 * One exception matters to this project: the stack has no node, so a buildpack written in Node
 * must bring its own. Each dir holding node (or npm, npx, corepack) is replaced by a shadow dir
 * of symlinks to everything else in it, made again whenever the dir changed (a tool installed
 * since), so that a container always sees the host's dirs as they are now.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exists } from './exists.js';

/** cflinuxfs4's PATH, as Diego gives it to every process of a container. */
export const STACK_PATH = '/usr/local/bin:/usr/bin:/bin';

const HIDDEN = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack']);
/** Shadows kept per dir: the current one, and the one a run started a moment ago may still use. */
const KEEP_PER_DIR = 2;

export function shadowsDir(): string {
  return join(tmpdir(), 'cf-local-stack-path');
}

/** A shadow of `dir` without the node tools, named after the dir and its last change. */
async function shadow(dir: string, changedMs: number): Promise<string> {
  const root = shadowsDir();
  const prefix = createHash('md5').update(dir).digest('hex');
  const target = join(root, `${prefix}-${Math.floor(changedMs)}`);
  if (await exists(target)) return target;
  await mkdir(root, { recursive: true });
  const building = await mkdtemp(`${target}.tmp-`);
  for (const name of await readdir(dir)) {
    if (!HIDDEN.has(name)) await symlink(join(dir, name), join(building, name));
  }
  // Another process may have finished the same shadow first; either copy is fine.
  await rename(building, target).catch(() => rm(building, { recursive: true, force: true }));
  const older = (await readdir(root))
    .filter((n) => n.startsWith(`${prefix}-`) && !n.includes('.tmp-'))
    .sort((a, b) => Number(b.slice(prefix.length + 1)) - Number(a.slice(prefix.length + 1)))
    .slice(KEEP_PER_DIR);
  for (const name of older) await rm(join(root, name), { recursive: true, force: true });
  return target;
}

/** `path` with node hidden, as on cflinuxfs4. */
export async function stackPath(path = STACK_PATH): Promise<string> {
  const out: string[] = [];
  for (const dir of path.split(':').filter(Boolean)) {
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    const names = await readdir(dir).catch(() => [] as string[]);
    out.push(names.some((n) => HIDDEN.has(n)) ? await shadow(dir, info.mtimeMs) : dir);
  }
  return out.join(':');
}

/**
 * The PATH of a staging or app container: the stack's, with node hidden; with --host-node, the
 * stack's dirs as they are, and the dir of the node running cf-local after them.
 */
export function pathFor(hostNode: boolean): Promise<string> {
  return hostNode ? Promise.resolve(`${STACK_PATH}:${dirname(process.execPath)}`) : stackPath();
}
