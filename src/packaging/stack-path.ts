/**
 * A PATH like the cflinuxfs4 stack's for --verify: every tool of the host's PATH except node and
 * its package managers, which the stack does not have (cf-contract section 1). The bin/ shims
 * must then find the Node runtime in the buildpack itself (cached zip) or download it.
 */
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Names hidden from the stack PATH. */
export const NODE_EXECUTABLES = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack', 'tsx']);

/** Fills `dir` with links to the first executable of each name on `hostPath`, node excluded. */
export async function makeStackPath(dir: string, hostPath: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const seen = new Set<string>();
  // node_modules/.bin holds node scripts the stack could not run either.
  for (const source of hostPath.split(delimiter).filter((d) => d && !d.includes('node_modules'))) {
    for (const name of await readdir(source).catch(() => [] as string[])) {
      if (NODE_EXECUTABLES.has(name) || seen.has(name)) continue;
      seen.add(name);
      await symlink(join(source, name), join(dir, name));
    }
  }
  return dir;
}
