/**
 * Ports for local containers. On Cloud Foundry every container has its own network namespace and
 * PORT is 8080 in all of them, as here where cf-local may make one (network.ts); otherwise all
 * instances share the host's, and each instance gets a free port of its own (sidecars share
 * their app's PORT, as on the platform).
 */
import { createServer, connect } from 'node:net';

/** A port free at the time of asking, from the kernel's ephemeral range. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on host:port (Diego's port health check). */
export function portAccepts(port: number, timeoutMs = 1000, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
