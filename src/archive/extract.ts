/**
 * Unpacks a verified artifact into a sidecar's install dir. The format is read from the file's
 * first bytes, not its name (URLs often have none): gzip and plain tar, xz, zip, or else a bare
 * executable. Extraction goes to a temp dir beside the target, renamed into place only when
 * complete, so a failure leaves nothing half-written.
 */
import { createHash } from 'node:crypto';
import { open, chmod, copyFile, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { makeDir } from '../fs/make-dir.js';
import { UserError } from '../errors.js';
import type { UnpackBudget } from './limits.js';
import { assertLinksInside } from './link-check.js';

export type ArchiveKind = 'tar' | 'tar.gz' | 'tar.xz' | 'zip' | 'binary';

/** Recognises the archive format from its magic bytes. */
export function detectKind(head: Buffer): ArchiveKind {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'tar.xz';
  if (
    head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) ||
    head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  )
    return 'zip';
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return 'binary';
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buffer, 0, 512, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export interface ExtractRequest {
  archivePath: string;
  /** Names the artifact in errors. */
  name: string;
  /** File name for a bare binary (the uri's basename). */
  binaryName: string;
  /** The install dir; replaced whole. */
  dest: string;
  budget: UnpackBudget;
  /** SIGTERM: the extraction stops, and its temp dir is removed. */
  signal?: AbortSignal;
}

/** The archive format a file name promises, if any. */
function promisedKind(name: string): ArchiveKind | undefined {
  const lower = name.toLowerCase();
  if (/\.(tgz|tar\.gz)$/.test(lower)) return 'tar.gz';
  if (/\.(txz|tar\.xz)$/.test(lower)) return 'tar.xz';
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar')) return 'tar';
  return undefined;
}

/** What a file that is no archive looks like, for the error: an HTML page, an executable. */
function looksLike(head: Buffer): string {
  const text = head.subarray(0, 64).toString('latin1').trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html') || text.startsWith('<?xml'))
    return 'an HTML or XML page (an error or login page of the server?)';
  if (head.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return 'an ELF executable';
  if (text.startsWith('#!')) return 'a script';
  return 'no archive format this buildpack knows';
}

export async function extractArtifact(request: ExtractRequest): Promise<ArchiveKind> {
  const head = await readHead(request.archivePath);
  const kind = detectKind(head);
  // A name that promises an archive and bytes that are none: installing it as a bare binary
  // would stage, and the sidecar's command would then be missing at launch.
  const promised = promisedKind(request.binaryName);
  if (kind === 'binary' && promised)
    throw new UserError(
      `${request.name}: is named as a ${promised} archive (${request.binaryName}) but is ${looksLike(head)}`,
      {
        hint: 'Check that the uri serves the archive itself (not a page about it), and its sha256.',
      },
    );
  // Named after its target: sidecars unpack side by side (phases/install-sidecars.ts).
  const temp = join(
    dirname(request.dest),
    `.${shortName(basename(request.dest))}-${Date.now()}-${process.pid}${UNPACKING_SUFFIX}`,
  );
  await makeDir(temp);
  try {
    // The unpacker of each format is imported only when an artifact needs it (start-up cost).
    if (kind === 'zip') {
      const { extractZip } = await import('./zip.js');
      await extractZip(request.archivePath, request.name, temp, request.budget, request.signal);
    } else if (kind === 'binary') {
      const target = join(temp, request.binaryName);
      await copyFile(request.archivePath, target);
      await chmod(target, 0o755);
    } else {
      const { extractTar } = await import('./tar.js');
      const compression = kind === 'tar.xz' ? 'xz' : kind === 'tar.gz' ? 'gzip' : 'none';
      await extractTar(request.archivePath, request.name, temp, request.budget, compression, request.signal);
    }
    if (kind !== 'binary') await assertLinksInside(temp, request.name, request.signal);
    await rm(request.dest, { recursive: true, force: true });
    await rename(temp, request.dest);
    return kind;
  } finally {
    await rm(temp, { recursive: true, force: true, maxRetries: 3 });
  }
}

const UNPACKING_SUFFIX = '.unpacking';

/**
 * A name that still tells sidecars apart but leaves room for the temp dir's affixes: a sidecar
 * name may have 255 characters, as many as a file name may.
 */
function shortName(name: string): string {
  return name.length <= 100
    ? name
    : `${name.slice(0, 80)}-${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
}

/**
 * Removes the temp dirs of extractions that never finished (a staging SIGKILLed mid-unpack),
 * where a cache or deps dir is reused: the next staging starts clean.
 */
export async function removeStaleUnpacking(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith('.') && n.endsWith(UNPACKING_SUFFIX)))
    await rm(join(dir, name), { recursive: true, force: true, maxRetries: 3 });
}
