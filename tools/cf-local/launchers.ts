/**
 * The commands that started cf-local: `npm run cf-local -- run ...` is npm, then `sh -c`, then
 * tsx, then cf-local's node. A SIGTERM to npm (what a harness or CI sends to the command it
 * started) ends npm alone, and everything under it would run on. So cf-local watches that chain
 * and stops as on a SIGTERM when any of it goes away (or is reparented, which is the same). Only
 * these wrappers are watched, never the shell or harness above them. Linux /proc; elsewhere a no-op.
 */
import { readFileSync } from 'node:fs';

const WRAPPER = /^(node|npm|npx|sh|dash|tsx)\b/;

interface Ancestor {
  pid: number;
  ppid: number;
}

/** pid's parent and command name, from /proc/PID/stat (the name may hold spaces and parens). */
function statOf(pid: number): { ppid: number; comm: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const ppid = Number(text.slice(close + 2).split(' ')[1]);
    return { ppid, comm };
  } catch {
    return undefined;
  }
}

/** The wrappers above this process, nearest first. */
export function launcherChain(pid = process.pid): Ancestor[] {
  const chain: Ancestor[] = [];
  let current = statOf(pid)?.ppid;
  while (current !== undefined && current > 1) {
    const stat = statOf(current);
    if (!stat || !WRAPPER.test(stat.comm)) break;
    chain.push({ pid: current, ppid: stat.ppid });
    current = stat.ppid;
  }
  return chain;
}

/** Calls `onGone` once when a wrapper of the chain has gone; returns the function that stops watching. */
export function watchLaunchers(onGone: (pid: number) => void, intervalMs = 500): () => void {
  const chain = launcherChain();
  if (chain.length === 0) return () => undefined;
  const timer = setInterval(() => {
    const gone = chain.find((a) => statOf(a.pid)?.ppid !== a.ppid);
    if (gone) {
      clearInterval(timer);
      onGone(gone.pid);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
