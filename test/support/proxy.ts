/**
 * A real forward HTTP proxy on 127.0.0.1 that records each request it relays (absolute-URI
 * requests for http:// targets, CONNECT for https://) and the Proxy-Authorization it was sent.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RecordingProxy {
  url: string;
  port: number;
  relayed: { method: string; target: string; auth?: string }[];
  close(): Promise<void>;
}

export async function startProxy(): Promise<RecordingProxy> {
  const relayed: RecordingProxy['relayed'] = [];
  const server: Server = createServer((req, res) => {
    const auth = req.headers['proxy-authorization'];
    relayed.push({ method: req.method ?? 'GET', target: req.url ?? '', ...(auth ? { auth } : {}) });
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = httpRequest(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req, socket, head) => {
    relayed.push({ method: 'CONNECT', target: req.url ?? '' });
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    relayed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
