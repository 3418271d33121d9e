/**
 * The last check of an unpacked archive: every symlink in it must resolve inside it, however it
 * gets there. Each entry was checked as it was unpacked (safe-path.ts), but links can escape
 * together: `a` -> `.` and `b` -> `a/..` each read as inside, yet `b` is the parent, because the
 * kernel follows `a` before it applies `..`. So the links are resolved here as the kernel does,
 * component by component on the unpacked tree, following the archive's own links, before anything
 * (chmod, reading a file, the run time) can follow one.
 *
 * The work is bounded as the kernel bounds a lookup (40 links), and in total: chains of links with
 * long `d/../d/..` targets otherwise cost each link tens of thousands of steps, and a few KB of
 * archive hours of staging. Each path is read from the disk once, and SIGTERM is looked at as it goes.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { setImmediate as yieldToSignals } from 'node:timers/promises';
import { UnsafeArchiveError } from './safe-path.js';

/** As the kernel's limit on links followed in one lookup (ELOOP). */
const MAX_HOPS = 40;
/**
 * Path components resolved for all the links of one archive. A JDK resolves its ~100 links in a
 * few hundred steps, a node_modules tree of 10,000 links in ~100,000.
 */
export const MAX_LINK_STEPS = 1_000_000;
/** Steps between two looks at the event loop (where a SIGTERM's abort lands). */
const STEPS_PER_YIELD = 5_000;

export async function assertLinksInside(
  root: string,
  archiveName: string,
  signal?: AbortSignal,
): Promise<void> {
  const resolver = new LinkResolver(root, signal);
  for (const link of await symlinksUnder(root, '', signal)) {
    const problem = await resolver.escapes(link);
    if (problem) throw new UnsafeArchiveError(archiveName, link, problem);
  }
}

/** Paths (relative, `/`-separated) of the symlinks under root; links are not followed. */
async function symlinksUnder(root: string, rel: string, signal?: AbortSignal): Promise<string[]> {
  signal?.throwIfAborted();
  const found: string[] = [];
  for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isSymbolicLink()) found.push(path);
    else if (entry.isDirectory()) found.push(...(await symlinksUnder(root, path, signal)));
  }
  return found;
}

/** What a path of the unpacked tree is, as far as resolving links goes. */
type PathKind = { link: string } | 'other' | 'missing';
/** Where a link leads (components under root) and how many links it followed to get there. */
type Resolution = { path: string[]; hops: number } | { problem: string };

class LinkResolver {
  private readonly kinds = new Map<string, PathKind>();
  /**
   * Each link's resolution, worked out once: the tree does not change while it is checked, so a
   * chain of links costs each of its links' targets once, not once per link that reaches it.
   */
  private readonly links = new Map<string, Resolution | 'resolving'>();
  private steps = 0;

  constructor(
    private readonly root: string,
    private readonly signal?: AbortSignal,
  ) {}

  /** Why the symlink at `link` leads outside root, or undefined when it stays inside. */
  async escapes(link: string): Promise<string | undefined> {
    const resolution = await this.resolveLink(link, 0);
    return 'problem' in resolution ? resolution.problem : undefined;
  }

  private async resolveLink(link: string, hopsBefore: number): Promise<Resolution> {
    const known = this.links.get(link);
    // A link met again while it is being resolved is a loop: the kernel's ELOOP.
    if (known === 'resolving' || hopsBefore >= MAX_HOPS) return { problem: TOO_MANY_HOPS };
    if (known) return known;
    this.links.set(link, 'resolving');
    const kind = await this.kindOf(link);
    const target = typeof kind === 'string' ? '' : kind.link;
    const resolution = posix.isAbsolute(target)
      ? { problem: `symlink resolves to an absolute path (${target})` }
      : await this.resolve(link.split('/').slice(0, -1), target, hopsBefore + 1);
    const own = 'problem' in resolution ? resolution : { ...resolution, hops: resolution.hops - hopsBefore };
    this.links.set(link, own);
    return own;
  }

  /** Resolves `path` from the dir `from` as the kernel does; hops counts the links followed. */
  private async resolve(from: string[], path: string, hops: number): Promise<Resolution> {
    const resolved = [...from];
    // Where the first component that does not exist sits: nothing below it exists either, so
    // no lookups (and no joins of a long path) until a `..` climbs back above it.
    let missingAt = Infinity;
    for (const part of path.split('/')) {
      if (++this.steps > MAX_LINK_STEPS) return { problem: TOO_MANY_STEPS };
      if (this.steps % STEPS_PER_YIELD === 0) await yieldToSignals(undefined, { signal: this.signal });
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (resolved.length === 0)
          return { problem: "symlink resolves outside the directory, through the archive's own links" };
        resolved.pop();
        if (resolved.length <= missingAt) missingAt = Infinity;
        continue;
      }
      resolved.push(part);
      if (resolved.length - 1 > missingAt) continue;
      const here = resolved.join('/');
      const kind = await this.kindOf(here);
      if (kind === 'missing') missingAt = resolved.length - 1;
      if (typeof kind === 'string') continue;
      const through = await this.resolveLink(here, hops);
      if ('problem' in through) return through;
      hops += through.hops;
      if (hops > MAX_HOPS) return { problem: TOO_MANY_HOPS };
      resolved.splice(0, resolved.length, ...through.path);
      missingAt = Infinity;
    }
    return { path: resolved, hops };
  }

  /** Each path is read from the disk once. */
  private async kindOf(path: string): Promise<PathKind> {
    const known = this.kinds.get(path);
    if (known !== undefined) return known;
    const full = join(this.root, path);
    const info = await lstat(full).catch(() => undefined);
    const kind: PathKind = !info
      ? 'missing'
      : info.isSymbolicLink()
        ? { link: await readlink(full) }
        : 'other';
    this.kinds.set(path, kind);
    return kind;
  }
}

const TOO_MANY_HOPS = `symlink resolves through more than ${MAX_HOPS} links`;
const TOO_MANY_STEPS = `the archive's symlinks take more than ${MAX_LINK_STEPS.toLocaleString('en-US')} path steps to resolve (links with long targets); refusing rather than spending the staging's time on them`;
