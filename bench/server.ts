/**
 * The loopback server sidecars and the node runtime are downloaded from, counting the bytes it
 * sends, so the bench can tell how much a staging downloaded (a restage must download nothing),
 * and how many requests overlapped (parallel fetch, item 8).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { startServer, type TestServer } from '../test/support/http-server.js';

export interface CountingServer {
  url: string;
  /** Serves `file` at `path` and returns its URL. */
  serve(path: string, file: string): string;
  /** Bytes of response bodies sent since the last reset. */
  bytesSent(): number;
  /** Requests since the last reset that arrived while another was still being answered. */
  overlapped(): number;
  /** The most requests answered at once since the last reset. */
  peakInFlight(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingServer(): Promise<CountingServer> {
  const server: TestServer = await startServer();
  let sent = 0;
  let inFlight = 0;
  let overlapped = 0;
  let peak = 0;
  return {
    url: server.url,
    serve(path, file) {
      server.route(path, async (_req, res) => {
        if (inFlight > 0) overlapped++;
        peak = Math.max(peak, ++inFlight);
        res.once('close', () => inFlight--);
        const { size } = await stat(file);
        res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
        const body = createReadStream(file);
        body.on('data', (chunk) => (sent += chunk.length));
        body.pipe(res);
      });
      return `${server.url}${path}`;
    },
    bytesSent: () => sent,
    overlapped: () => overlapped,
    peakInFlight: () => peak,
    reset: () => {
      sent = overlapped = peak = 0;
    },
    close: () => server.close(),
  };
}
