/**
 * The reaper (reaper.sh): a small detached process that destroys what cf-local started if
 * cf-local dies without stopping it. It learns each process group, cgroup and dir as cf-local
 * makes them, over a pipe whose end of file is cf-local's death, whatever killed it.
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const REAPER = fileURLToPath(new URL('./reaper.sh', import.meta.url));

export class Reaper {
  private readonly input: Writable & { unref?: () => void };
  private closed = false;

  private constructor(input: Writable & { unref?: () => void }) {
    this.input = input;
  }

  static start(): Reaper {
    // Its own session: neither a terminal's Ctrl-C nor a signal to cf-local's group reaches it.
    const child = spawn('bash', [REAPER], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.unref();
    const input = child.stdin!;
    input.on('error', () => undefined);
    // The pipe must not keep cf-local alive once everything else is done.
    (input as { unref?: () => void }).unref?.();
    return new Reaper(input);
  }

  watchGroup(pgid: number): void {
    if (pgid > 1) this.send(`group ${pgid}`);
  }

  forgetGroup(pgid: number): void {
    if (pgid > 1) this.send(`forget-group ${pgid}`);
  }

  watchCgroup(dir: string): void {
    this.send(`cgroup ${dir}`);
  }

  forgetCgroup(dir: string): void {
    this.send(`forget-cgroup ${dir}`);
  }

  watchNetwork(name: string, lease: string): void {
    this.send(`netns ${name} ${lease}`);
  }

  forgetNetwork(name: string): void {
    this.send(`forget-netns ${name}`);
  }

  watchDir(path: string): void {
    this.send(`dir ${path}`);
  }

  /** cf-local has destroyed everything itself: the reaper exits without touching anything. */
  done(): void {
    this.send('done');
    this.closed = true;
    this.input.end();
  }

  private send(line: string): void {
    if (!this.closed && !line.includes('\n')) this.input.write(`${line}\n`);
  }
}
