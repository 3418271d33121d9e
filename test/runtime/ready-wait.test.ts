/**
 * The ready wait: the app's process, launched as the launcher does, holds its start command until
 * its sidecars answer, with real sockets on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReadyOptions } from '../../src/config/runtime-options-types.js';
import { buildRuntimeJson } from '../../src/runtime/runtime-config.js';
import { freePort } from '../support/net.js';
import { childCpuSeconds, launch, makeDroplet, sidecarLaunchCommand } from './launcher.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** An HTTP server that answers `statuses` in turn (the last one from then on), after `delayMs`. */
function serveLater(port: number, delayMs: number, statuses: number[] = [200]): void {
  let n = 0;
  const server = createServer((_req, res) => {
    res.writeHead(statuses[Math.min(n++, statuses.length - 1)] as number).end();
  });
  servers.push(server);
  setTimeout(() => server.listen(port, '127.0.0.1'), delayMs);
}

function dropletWith(ready: ReadyOptions, processTypes = ['web']) {
  return makeDroplet(
    buildRuntimeJson([{ name: 'config-server', processTypes, memoryMb: 64, runtime: { ready } }]),
  );
}

const START = 'echo app-started';

describe('ready wait', () => {
  it('holds the start command until the sidecar accepts TCP connections', async () => {
    const port = await freePort();
    const droplet = await dropletWith({
      probe: { kind: 'tcp', port },
      timeoutSeconds: 10,
      onTimeout: 'fail',
    });
    serveLater(port, 1200);
    const started = Date.now();
    const result = await launch(droplet, START);
    expect(result.exitCode, result.all).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
    expect(result.stdout).toContain('app-started');
    expect(result.all).toMatch(
      new RegExp(`ready wait: sidecar 'config-server' ready after [12]\\.\\ds \\(tcp ${port}\\)`),
    );
  });

  it('waits for an HTTP URL to answer 2xx', async () => {
    const port = await freePort();
    const url = `http://localhost:${port}/health`;
    const droplet = await dropletWith({
      probe: { kind: 'http', url },
      timeoutSeconds: 10,
      onTimeout: 'fail',
    });
    serveLater(port, 0, [503, 503, 200]);
    const result = await launch(droplet, START);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toMatch(/sidecar 'config-server' ready after [23]\.\ds \(http /);
  });

  it('fails the process on timeout with on_timeout: fail, without running the start command', async () => {
    const port = await freePort();
    const droplet = await dropletWith({ probe: { kind: 'tcp', port }, timeoutSeconds: 2, onTimeout: 'fail' });
    const result = await launch(droplet, START, { measureCpu: true });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toContain('app-started');
    expect(result.stderr).toContain(
      `[sidecar-buildpack] ready wait: **ERROR** sidecar 'config-server' not ready after 2s (tcp ${port}: connection refused); failing so that Cloud Foundry restarts the container (on_timeout: fail)`,
    );
    // Two seconds of waiting: a probe a second, sleeping in between, not a busy loop.
    expect(childCpuSeconds(result.stderr)).toBeLessThan(0.5);
  });

  it('starts the app anyway on timeout with on_timeout: warn', async () => {
    const port = await freePort();
    const droplet = await dropletWith({ probe: { kind: 'tcp', port }, timeoutSeconds: 1, onTimeout: 'warn' });
    const result = await launch(droplet, START);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain('app-started');
    expect(result.stderr).toContain("**WARNING** sidecar 'config-server' not ready after 1s");
    expect(result.stderr).toContain('starting the app anyway (on_timeout: warn)');
  });

  it('does not wait in other process types, sidecar launches or tasks', async () => {
    const port = await freePort();
    const droplet = await dropletWith({
      probe: { kind: 'tcp', port },
      timeoutSeconds: 30,
      onTimeout: 'fail',
    });
    for (const run of [
      () => launch(droplet, START, { processType: 'worker' }),
      () => launch(droplet, sidecarLaunchCommand('config-server', START)),
      () => launch(droplet, START, { processType: undefined }),
    ]) {
      const started = Date.now();
      const result = await run();
      expect(result.exitCode, result.all).toBe(0);
      expect(result.stdout).toContain('app-started');
      expect(Date.now() - started).toBeLessThan(3000);
    }
  });
});
