/** sha256 checks, computed by streaming so that large artifacts are never held in memory. */
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { UserError } from '../errors.js';
import { scavengeEvery } from '../fs/release-buffers.js';

const HASH_CHUNK_BYTES = 1 << 20;

/**
 * Reads the file through one reused buffer. A read stream would allocate a new buffer per chunk,
 * and V8 frees such off-heap buffers only every 64 MB or so: hashing a large sidecar would add
 * that much to the peak memory of supply (bench item 3), where this adds 1 MiB.
 */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

/** A pass-through stream that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private readonly scavenge = scavengeEvery();
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.scavenge(chunk.length);
    done(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** The error every source (offline file, cache, download) raises on a mismatch. */
export function checksumMismatch(what: string, expected: string, actual: string): UserError {
  return new UserError(`${what}: dependency sha256 mismatch: expected ${expected} actual ${actual}`, {
    hint: 'The file is not the one the manifest or sidecars.yml pinned; it was deleted. Check the uri and sha256.',
  });
}
