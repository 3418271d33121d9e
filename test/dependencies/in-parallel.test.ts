/** inParallel: bounded parallel work with the outcome of a loop. */
import { describe, expect, it } from 'vitest';
import { inParallel } from '../../src/dependencies/in-parallel.js';
import { OrderedOutput } from '../../src/log/ordered-output.js';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });

describe('inParallel', () => {
  it('returns results in item order, never running more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const results = await inParallel([50, 10, 30, 5, 20], { limit: 2 }, async (ms, index) => {
      peak = Math.max(peak, ++running);
      await sleep(ms);
      running--;
      return index * 10;
    });
    expect(results).toEqual([0, 10, 20, 30, 40]);
    expect(peak).toBe(2);
  });

  it('throws the first failure in item order, lets earlier items finish and never starts later ones', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const aborted: number[] = [];
    const work = inParallel([0, 1, 2, 3, 4, 5], { limit: 4 }, async (item, index, signal) => {
      started.push(index);
      try {
        // Item 2 fails first, item 1 a little later: 1 is the one a loop would have reported.
        await sleep([80, 40, 5, 200, 1, 1][index] as number, signal);
      } catch (error) {
        aborted.push(index);
        throw error;
      }
      if (index === 1 || index === 2) throw new Error(`item ${index} failed`);
      finished.push(index);
      return item;
    });
    await expect(work).rejects.toThrow('item 1 failed');
    expect(finished).toEqual([0]);
    expect(aborted).toEqual([3]);
    // 3 started beside 0..2 and was aborted when 2 failed; 4 and 5 would have taken the slot of
    // 2, but a loop would never have reached them.
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('aborts every item when the caller aborts, and throws its reason', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('SIGTERM')), 10);
    const work = inParallel([1, 2, 3], { limit: 4, signal: controller.signal }, (_, __, signal) =>
      sleep(5000, signal),
    );
    await expect(work).rejects.toThrow('SIGTERM');
  });
});

describe('OrderedOutput', () => {
  it('prints each item whole and in order, holding later items until the earlier ones finish', () => {
    const out: string[] = [];
    const output = new OrderedOutput({ write: (t) => void out.push(t) }, 3);
    output.sink(2).write('c1');
    output.sink(0).write('a1');
    output.sink(1).write('b1');
    output.sink(2).write('c2');
    output.finish(2);
    expect(out).toEqual(['a1']);
    output.sink(0).write('a2');
    output.finish(0);
    expect(out).toEqual(['a1', 'a2', 'b1']);
    output.sink(1).write('b2');
    output.finish(1);
    expect(out).toEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'c2']);
  });

  it('drops what the items after a failed one wrote or will write', () => {
    const out: string[] = [];
    const output = new OrderedOutput({ write: (t) => void out.push(t) }, 3);
    output.sink(0).write('a1');
    output.sink(2).write('c1');
    output.sink(1).write('b1');
    output.cutAfter(1);
    output.sink(2).write('c2');
    output.finish(2);
    output.finish(1);
    output.finish(0);
    expect(out).toEqual(['a1', 'b1']);
  });
});
