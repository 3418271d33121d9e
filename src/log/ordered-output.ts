/**
 * The log of work done in parallel, printed as if it were done one item after another: item i's
 * lines go out live while every item before it has finished, and are held until then otherwise.
 * So parallel fetching still logs each sidecar's lines together, in config order.
 */
import type { LogSink } from './logger.js';

export class OrderedOutput {
  private readonly held: string[][];
  private readonly finished: boolean[];
  /** The first item not yet finished: its lines go straight out. */
  private live = 0;
  /** Items after this one print nothing: the work failed there, a loop would have stopped. */
  private last: number;

  constructor(
    private readonly out: LogSink,
    count: number,
  ) {
    this.held = Array.from({ length: count }, () => []);
    this.finished = Array.from({ length: count }, () => false);
    this.last = count - 1;
  }

  /** Where item `index` writes its lines. */
  sink(index: number): LogSink {
    return {
      write: (text) => {
        if (index > this.last) return;
        if (index === this.live) this.out.write(text);
        else this.held[index]?.push(text);
      },
    };
  }

  /** Item `index` has written its last line: the next items' held lines go out, in order. */
  finish(index: number): void {
    this.finished[index] = true;
    while (this.live <= this.last && this.finished[this.live]) {
      this.live++;
      this.flush(this.live);
    }
  }

  /** Item `index` failed: the lines of the items after it, held or still to come, are dropped. */
  cutAfter(index: number): void {
    if (index >= this.last) return;
    this.last = index;
    for (const lines of this.held.slice(index + 1)) lines.length = 0;
  }

  private flush(index: number): void {
    const lines = this.held[index];
    if (!lines) return;
    for (const text of lines) this.out.write(text);
    lines.length = 0;
  }
}
