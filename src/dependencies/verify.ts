/** sha256 checks, computed by streaming so that large artifacts are never held in memory. */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../errors.js';

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), hash);
  return hash.digest('hex');
}

/** A pass-through stream that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
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
