/**
 * A forward HTTP proxy on 127.0.0.1 for proxy-only tests: it answers absolute-form requests
 * (`GET http://deps.example.invalid/x.tgz`) from a table of files, records them, and refuses
 * CONNECT, so a staging that works through it can only have fetched over plain HTTP via the proxy.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ForwardProxy {
  url: string;
  /** The absolute URLs asked for, in order. */
  requested: string[];
  /** Serves `filePath` for requests to `absoluteUrl`. */
  file(absoluteUrl: string, filePath: string): void;
  close(): Promise<void>;
}

export async function startForwardProxy(): Promise<ForwardProxy> {
  const files = new Map<string, string>();
  const requested: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    requested.push(url);
    const path = files.get(url);
    if (!path) {
      res.writeHead(502).end('proxy: no route');
      return;
    }
    void stat(path).then(({ size }) => {
      res.writeHead(200, { 'content-length': size });
      createReadStream(path).pipe(res);
    });
  });
  server.on('connect', (_req, socket) => socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requested,
    file: (absoluteUrl, filePath) => void files.set(absoluteUrl, filePath),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
