/** download(): real HTTP against a local server; retry rule, redirects, timeouts, no partial files. */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRANSPORT, download, type TransportOptions } from '../../src/dependencies/download.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { freePort } from '../support/net.js';
import { tempDir } from '../support/tmp.js';

const BODY = Buffer.from('agent-binary-'.repeat(1000));
const SHA = createHash('sha256').update(BODY).digest('hex');
const FAST: TransportOptions = {
  ...DEFAULT_TRANSPORT,
  retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
  idleTimeoutMs: 500,
};

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
  server.route('/ok', (_req, res) => void res.writeHead(200, { 'content-length': BODY.length }).end(BODY));
});
afterAll(() => server.close());

async function fetchTo(path: string, options: TransportOptions = FAST, sha = SHA) {
  const dir = await tempDir('dl-');
  const dest = join(dir, 'agent.tgz');
  const run = download({ url: `${server.url}${path}`, dest, sha256: sha, label: 'agent 1.0.0' }, options);
  return { dir, dest, run };
}

describe('download', () => {
  it('writes the verified file under its final name', async () => {
    const { dest, run } = await fetchTo('/ok');
    expect(await run).toEqual({ bytes: BODY.length, attempts: 1 });
    expect(await readFile(dest)).toEqual(BODY);
  });

  it('retries a 503 and then succeeds', async () => {
    let calls = 0;
    server.route('/flaky', (_req, res) => {
      calls++;
      if (calls < 3) res.writeHead(503).end('busy');
      else res.writeHead(200).end(BODY);
    });
    const retries: string[] = [];
    const { run } = await fetchTo('/flaky', { ...FAST, onRetry: (m) => retries.push(m) });
    expect((await run).attempts).toBe(3);
    expect(retries).toEqual([expect.stringContaining('HTTP 503'), expect.stringContaining('retry 2 of 2')]);
  });

  it("tells who tries again in a server failure's hint: staging by default, or the caller", async () => {
    server.route('/down', (_req, res) => void res.writeHead(503).end());
    for (const [options, says] of [
      [FAST, 'staging again retries.'],
      [
        { ...FAST, tryAgain: 'running scripts/package.sh again' },
        'running scripts/package.sh again retries.',
      ],
    ] as const) {
      const error = await (await fetchTo('/down', options)).run.catch((e: unknown) => e);
      expect((error as { details: { hint: string } }).details.hint).toMatch(
        new RegExp(`${says.replace(/\./g, '\\.')}$`),
      );
    }
  });

  it('follows a redirect', async () => {
    server.route('/moved', (_req, res) => void res.writeHead(302, { location: '/ok' }).end());
    const { dest, run } = await fetchTo('/moved');
    await run;
    expect(await readFile(dest)).toEqual(BODY);
  });

  describe('failure cases', () => {
    it('does not retry a 404 and names the artifact and URL', async () => {
      const before = server.hits('/gone').length;
      const { run } = await fetchTo('/gone');
      await expect(run).rejects.toThrow(
        /could not download agent 1\.0\.0 from http:\/\/127\.0\.0\.1:\d+\/gone: HTTP 404/,
      );
      expect(server.hits('/gone').length - before).toBe(1);
    });

    it.each([
      ['HTTP 204', 204, 'No Content'],
      ['HTTP 200 with an empty body', 200, 'OK'],
    ])(
      'names %s as what the server did, not as a sha256 mismatch, and does not retry it',
      async (_what, status, text) => {
        const path = `/empty-${status}`;
        server.route(path, (_req, res) => void res.writeHead(status).end());
        const { dir, run } = await fetchTo(path);
        await expect(run).rejects.toThrow(
          `could not download agent 1.0.0 from ${server.url}${path}: the server answered HTTP ${status} ${text} with an empty body, not the artifact`,
        );
        expect(server.hits(path)).toHaveLength(1);
        expect(await readdir(dir)).toEqual([]);
      },
    );

    it('gives up on a redirect loop', async () => {
      server.route('/loop', (_req, res) => void res.writeHead(302, { location: '/loop' }).end());
      const { run } = await fetchTo('/loop', { ...FAST, maxRedirects: 3 });
      await expect(run).rejects.toThrow('too many redirects (more than 3)');
    });

    it('times out a server that stalls mid-body, and leaves no partial file', async () => {
      server.route('/stall', (_req, res) => {
        res.writeHead(200, { 'content-length': BODY.length });
        res.write(BODY.subarray(0, 100));
      });
      const { dir, run } = await fetchTo('/stall');
      await expect(run).rejects.toThrow(/no data for 0\.5s \(timed out\)/);
      expect(await readdir(dir)).toEqual([]);
    });

    it('detects a body shorter than its Content-Length', async () => {
      server.route('/short', (_req, res) => {
        res.writeHead(200, { 'content-length': BODY.length });
        res.end(BODY.subarray(0, 100));
        res.socket?.destroy();
      });
      const { dir, run } = await fetchTo('/short');
      await expect(run).rejects.toThrow(/could not download agent 1\.0\.0/);
      expect(await readdir(dir)).toEqual([]);
    });

    it('retries a connection reset mid-body and then succeeds', async () => {
      let calls = 0;
      server.route('/reset-once', (req, res) => {
        calls++;
        res.writeHead(200, { 'content-length': BODY.length });
        if (calls > 1) return void res.end(BODY);
        res.write(BODY.subarray(0, 100), () => req.socket.resetAndDestroy());
      });
      const retries: string[] = [];
      const { dest, run } = await fetchTo('/reset-once', { ...FAST, onRetry: (m) => retries.push(m) });
      expect((await run).attempts).toBe(2);
      expect(retries).toEqual([
        expect.stringMatching(/Download of agent 1\.0\.0 failed \(.*\); retry 1 of 2/),
      ]);
      expect(await readFile(dest)).toEqual(BODY);
      expect(await readdir(join(dest, '..'))).toEqual(['agent.tgz']);
    });

    it('fails on connections reset every time, and leaves no partial file', async () => {
      server.route('/reset', (req, res) => {
        res.writeHead(200, { 'content-length': BODY.length });
        res.write(BODY.subarray(0, 100), () => req.socket.resetAndDestroy());
      });
      const before = server.hits('/reset').length;
      const { dir, run } = await fetchTo('/reset');
      await expect(run).rejects.toThrow(
        /could not download agent 1\.0\.0 from http:\/\/127\.0\.0\.1:\d+\/reset: /,
      );
      expect(server.hits('/reset').length - before).toBe(3);
      expect(await readdir(dir)).toEqual([]);
    });

    it('detects a chunked body cut off before its last chunk', async () => {
      server.route('/chunked-cut', (req, res) => {
        res.writeHead(200);
        res.write(BODY.subarray(0, 100), () => req.socket.destroy());
      });
      const { dir, run } = await fetchTo('/chunked-cut');
      await expect(run).rejects.toThrow(
        /could not download agent 1\.0\.0 .*: .*(Premature close|aborted|ECONNRESET)/i,
      );
      expect(await readdir(dir)).toEqual([]);
    });

    it('rejects a close-delimited body cut short (no Content-Length) by its sha256', async () => {
      server.route('/close-cut', (req) => {
        req.socket.end(
          Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'), BODY.subarray(0, 100)]),
        );
      });
      const before = server.hits('/close-cut').length;
      const { dir, run } = await fetchTo('/close-cut');
      await expect(run).rejects.toThrow(`dependency sha256 mismatch: expected ${SHA} actual`);
      expect(server.hits('/close-cut').length - before).toBe(1);
      expect(await readdir(dir)).toEqual([]);
    });

    it('names the proxy that refuses the connection, without retrying', async () => {
      const closed = await freePort();
      const retries: string[] = [];
      const { dir, run } = await fetchTo('/ok', {
        ...FAST,
        proxyEnv: { http_proxy: `http://puser:proxy-pass@127.0.0.1:${closed}` },
        onRetry: (m) => retries.push(m),
      });
      const error = await run.then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(
        new RegExp(
          `could not download agent 1\\.0\\.0 .*: proxy http://\\*\\*\\*@127\\.0\\.0\\.1:${closed} refused the connection`,
        ),
      );
      expect(error?.message).not.toContain('proxy-pass');
      expect(retries).toEqual([]);
      expect(await readdir(dir)).toEqual([]);
    });

    it('refuses a redirect to a scheme other than http(s)', async () => {
      server.route(
        '/to-ftp',
        (_req, res) => void res.writeHead(302, { location: 'ftp://127.0.0.1/x' }).end(),
      );
      const { dir, run } = await fetchTo('/to-ftp');
      await expect(run).rejects.toThrow('refused a redirect to ftp: URL');
      expect(await readdir(dir)).toEqual([]);
    });

    it('sends credentials of the uri to its own origin only, never across a redirect elsewhere', async () => {
      const other = await startServer();
      try {
        other.route('/agent', (_req, res) => void res.writeHead(200).end(BODY));
        server.route(
          '/hop',
          (_req, res) => void res.writeHead(302, { location: `${other.url}/agent` }).end(),
        );
        const dir = await tempDir('dl-');
        const url = `${server.url.replace('http://', 'http://user:pa%40ss@')}/hop`;
        await download({ url, dest: join(dir, 'agent'), sha256: SHA, label: 'agent 1.0.0' }, FAST);
        const basic = `Basic ${Buffer.from('user:pa@ss').toString('base64')}`;
        expect(server.hits('/hop').at(-1)?.headers.authorization).toBe(basic);
        expect(other.hits('/agent')[0]?.headers.authorization).toBeUndefined();
      } finally {
        await other.close();
      }
    });

    it('deletes the file and does not retry when the sha256 differs', async () => {
      const before = server.hits('/ok').length;
      const { dir, run } = await fetchTo('/ok', FAST, 'd'.repeat(64));
      await expect(run).rejects.toThrow(
        `dependency sha256 mismatch: expected ${'d'.repeat(64)} actual ${SHA}`,
      );
      expect(server.hits('/ok').length - before).toBe(1);
      expect(await readdir(dir)).toEqual([]);
    });
  });
});

describe('download: endless and hostile servers', () => {
  it('fails a server that trickles a byte every 100 ms once the deadline has passed, and retries no more', async () => {
    let calls = 0;
    server.route('/trickle', (_req, res) => {
      calls++;
      res.writeHead(200);
      const timer = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(timer));
    });
    const { dir, run } = await fetchTo('/trickle', { ...FAST, idleTimeoutMs: 1000, deadlineMs: 800 });
    const started = Date.now();
    await expect(run).rejects.toThrow(
      'could not download agent 1.0.0 from http://127.0.0.1:' +
        `${server.port}/trickle: not finished after 0.8s, the deadline of one download (SIDECAR_DOWNLOAD_DEADLINE)`,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(calls).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('does not retry a redirect to a Location that is not a URL', async () => {
    let calls = 0;
    server.route('/bad-location', (_req, res) => {
      calls++;
      res.writeHead(302, { location: 'http://[::1' }).end();
    });
    const { run } = await fetchTo('/bad-location');
    await expect(run).rejects.toThrow(
      'the server redirected to a Location that is not a URL ("http://[::1")',
    );
    expect(calls).toBe(1);
  });

  // A full disk stays full: the download fails at once, without retries, and leaves nothing.
  it.skipIf(process.getuid?.() !== 0)(
    'stops at once when the disk is full (ENOSPC), without a retry',
    async () => {
      const { execa } = await import('execa');
      const mountpoint = await tempDir('full-disk-');
      await execa('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountpoint]);
      try {
        let calls = 0;
        server.route('/endless', (_req, res) => {
          calls++;
          res.writeHead(200);
          const chunk = Buffer.alloc(64 * 1024, 1);
          const pump = () => {
            while (res.write(chunk));
          };
          res.on('drain', pump);
          pump();
        });
        const dest = join(mountpoint, 'agent.tgz');
        const run = download({ url: `${server.url}/endless`, dest, sha256: SHA, label: 'agent 1.0.0' }, FAST);
        await expect(run).rejects.toThrow(
          'agent 1.0.0: no space left on the device while downloading it (ENOSPC)',
        );
        expect(calls).toBe(1);
        expect(await readdir(mountpoint)).toEqual([]);
      } finally {
        await execa('umount', [mountpoint]);
      }
    },
  );
});
