/**
 * Bounded parallel work with the outcome of serial work: items start in order, at most `limit`
 * at a time, and the result is what a loop would have produced. When item k fails, the items
 * after it are aborted (a loop would never have started them) while those before it run to their
 * end, and the error thrown is that of the first item in order that failed. Nothing is still
 * running when this returns or throws, so the caller's clean-up sees every file written.
 */
export interface ParallelOptions {
  limit: number;
  /** Aborts every item (the staging was cancelled). */
  signal?: AbortSignal;
}

/** Thrown into the items after a failed one; never surfaces to the caller. */
class NotNeeded extends Error {}

export async function inParallel<T, R>(
  items: readonly T[],
  options: ParallelOptions,
  work: (item: T, index: number, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const controllers = items.map(() => new AbortController());
  const outcomes: ({ ok: true; value: R } | { ok: false; error: unknown } | undefined)[] = items.map(
    () => undefined,
  );
  let failedAt = items.length;
  let next = 0;

  const runOne = async (index: number): Promise<void> => {
    const own = controllers[index] as AbortController;
    const signal = options.signal ? AbortSignal.any([options.signal, own.signal]) : own.signal;
    try {
      outcomes[index] = { ok: true, value: await work(items[index] as T, index, signal) };
    } catch (error) {
      outcomes[index] = { ok: false, error };
      if (index < failedAt && !(own.signal.aborted && own.signal.reason instanceof NotNeeded)) {
        failedAt = index;
        for (let later = index + 1; later < items.length; later++)
          controllers[later]?.abort(new NotNeeded('an earlier item failed'));
      }
    }
  };
  const worker = async (): Promise<void> => {
    while (next < items.length && next < failedAt) await runOne(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.limit, items.length)) }, worker));

  for (const outcome of outcomes.slice(0, failedAt + 1)) if (outcome && !outcome.ok) throw outcome.error;
  return outcomes.map((o) => (o as { value: R }).value);
}
