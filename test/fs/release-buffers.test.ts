/** scavengeEvery: a minor GC every 2 MiB streamed, only where node exposes gc. */
import { afterEach, describe, expect, it } from 'vitest';
import { scavengeEvery } from '../../src/fs/release-buffers.js';

const holder = globalThis as { gc?: unknown };
const original = holder.gc;
afterEach(() => {
  holder.gc = original;
});

describe('scavengeEvery', () => {
  it('asks for a minor GC once per interval of bytes, however the chunks fall', () => {
    const calls: unknown[] = [];
    holder.gc = (options: unknown) => void calls.push(options);
    const count = scavengeEvery(1000);
    for (let i = 0; i < 25; i++) count(300); // 7500 bytes
    expect(calls).toHaveLength(7);
    expect(calls[0]).toEqual({ type: 'minor' });
  });

  it('does nothing when node runs without --expose-gc', () => {
    holder.gc = undefined;
    expect(() => scavengeEvery(1)(10)).not.toThrow();
  });
});
