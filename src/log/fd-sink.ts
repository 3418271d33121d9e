/**
 * Writes straight to a file descriptor, synchronously. The lifecycle runs every phase with its
 * stdout and stderr on pipes, and the first use of process.stdout on a pipe sets up a
 * net.Socket: about 10 ms of each phase's start-up (bench item 4), for a few dozen lines. A
 * synchronous write also keeps the lines in order and loses none when the process exits at once
 * (cli.ts's clean-up grace).
 */
import { writeSync } from 'node:fs';
import type { LogSink } from './logger.js';

/** For the wait on a pipe that is full and non-blocking (another process set O_NONBLOCK on it). */
const pause = new Int32Array(new SharedArrayBuffer(4));

export function fdSink(fd: number): LogSink {
  return { write: (text) => writeFully(fd, Buffer.from(text)) };
}

function writeFully(fd: number, bytes: Buffer): void {
  for (let offset = 0; offset < bytes.length;) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
      // Nobody reads any more (the lifecycle is gone): there is no one to tell.
      else if (code === 'EPIPE') return;
      else throw error;
    }
  }
}
