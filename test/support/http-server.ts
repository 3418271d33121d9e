/**
 * A real HTTP server on 127.0.0.1 that serves files from a route table and records every request,
 * so tests can assert what was (or was not) downloaded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export interface TestServer {
  /** `http://127.0.0.1:PORT`, or `https://` when started with a certificate */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Serves a local file at `path` (e.g. `/deps/otel.tgz`). */
  file(path: string, filePath: string): void;
  /** Custom behaviour at `path`. */
  route(path: string, handler: Handler): void;
  /** Requests whose path starts with `prefix`. */
  hits(prefix?: string): RecordedRequest[];
  close(): Promise<void>;
}

/** Starts the server; with `tls` (e.g. from selfSignedCert()) it speaks https. */
export async function startServer(tls?: { key: string; cert: string }): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const requests: RecordedRequest[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const handler = routes.get(path);
    if (!handler) {
      res.writeHead(404).end('not found');
      return;
    }
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  };
  const server: Server = tls ? createTlsServer(tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    file(path, filePath) {
      routes.set(path, async (_req, res) => {
        const { size } = await stat(filePath);
        res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
        createReadStream(filePath).pipe(res);
      });
    },
    route(path, handler) {
      routes.set(path, handler);
    },
    hits(prefix = '/') {
      return requests.filter((r) => r.url.startsWith(prefix));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
