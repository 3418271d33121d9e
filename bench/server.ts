/**
 * The loopback server sidecars and the node runtime are downloaded from, counting the bytes it
 * sends, so the bench can tell how much a staging downloaded (a restage must download nothing).
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
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingServer(): Promise<CountingServer> {
  const server: TestServer = await startServer();
  let sent = 0;
  return {
    url: server.url,
    serve(path, file) {
      server.route(path, async (_req, res) => {
        const { size } = await stat(file);
        res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
        const body = createReadStream(file);
        body.on('data', (chunk) => (sent += chunk.length));
        body.pipe(res);
      });
      return `${server.url}${path}`;
    },
    bytesSent: () => sent,
    reset: () => {
      sent = 0;
    },
    close: () => server.close(),
  };
}
