/**
 * A proxy that lets nothing through and remembers who tried. --verify points HTTP(S)_PROXY and
 * ALL_PROXY at it while staging an offline zip: every proxy-aware client (curl in the bin/ shims,
 * the bundle's fetch) connects here first, so a count of zero proves staging did not try to reach
 * the network that way, where a closed port would only have made the attempt fail silently.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface NetworkTrap {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Connections received so far. */
  readonly attempts: number;
  close(): Promise<void>;
}

export async function openNetworkTrap(): Promise<NetworkTrap> {
  let attempts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    attempts++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get attempts() {
      return attempts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Env that sends every proxy-aware client to `trapUrl` (both cases: curl reads lower case only for http). */
export function trappedProxyEnv(trapUrl: string): Record<string, string> {
  return {
    http_proxy: trapUrl,
    HTTP_PROXY: trapUrl,
    https_proxy: trapUrl,
    HTTPS_PROXY: trapUrl,
    all_proxy: trapUrl,
    ALL_PROXY: trapUrl,
    no_proxy: '',
    NO_PROXY: '',
  };
}
