/**
 * Keeps the staging process's memory flat while it streams hundreds of MB (bench item 3). Each
 * chunk read from a socket or inflated is a new buffer outside V8's heap; V8 frees them only
 * after a scavenge, and it schedules one by their total only once about 64 MB of them have piled
 * up: the peak RSS of a 100 MB download was node's 43 MB plus 50. A scavenge every few MB
 * streamed (microseconds each: only the young generation) bounds that pile. `gc` exists because
 * the shims start node with --expose-gc (bin/lib/node-runtime.sh); elsewhere this does nothing.
 */
const INTERVAL_BYTES = 2 * 1024 * 1024;

type Gc = (options: { type: 'minor' | 'major' }) => void;

/** A counter to call with each chunk's length; it scavenges every INTERVAL_BYTES. */
export function scavengeEvery(interval = INTERVAL_BYTES): (bytes: number) => void {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) return () => undefined;
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < interval) return;
    since %= interval;
    gc({ type: 'minor' });
  };
}
