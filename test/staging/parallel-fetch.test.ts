/**
 * Sidecars are fetched and unpacked several at a time (src/phases/install-sidecars.ts), with the
 * outcome of one after another: the log in config order, the first failure in config order
 * reported, nothing of a failed staging left in DEPS_DIR. Overlap is counted at the server.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FETCH_CONCURRENCY } from '../../src/phases/install-sidecars.js';
import { makeTestBuildpack, serveFixtureSidecar } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { runPhase, stagingDirs, supplyArgs } from '../support/staging.js';

let server: TestServer;
let buildpack: string;
let archive: Buffer;
let sha256: string;
/** Requests in flight now, and the most there ever were at once. */
let inFlight = 0;
let peak = 0;

/** Serves the sidecar archive at `path` after `delayMs`, counting overlapping requests. */
function serveSlowly(path: string, delayMs: number, status = 200): string {
  server.route(path, async (_req, res) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (status === 200) res.writeHead(200, { 'content-length': archive.length }).end(archive);
    else res.writeHead(status).end('gone');
    res.on('close', () => inFlight--);
  });
  return `${server.url}${path}`;
}

beforeAll(async () => {
  server = await startServer();
  const sidecar = await serveFixtureSidecar(server);
  archive = await readFile(sidecar.path);
  sha256 = sidecar.sha256;
  buildpack = await makeTestBuildpack({ node: { server }, dependencies: [] });
});
afterAll(() => server.close());

async function appWith(sidecars: { name: string; uri: string }[]) {
  const dirs = await stagingDirs();
  await writeFile(join(dirs.buildDir, 'Procfile'), 'web: ./app\n');
  const entries = sidecars.map(
    (s) =>
      `  - name: ${s.name}\n    uri: ${s.uri}\n    sha256: ${sha256}\n    command: ./config-server\n    memory: 32M\n`,
  );
  await writeFile(join(dirs.buildDir, 'sidecars.yml'), `sidecars:\n${entries.join('')}`);
  return dirs;
}

/** The sidecar each log line is about, in the order the lines were printed. */
function sidecarOfEachLine(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => !line.includes('**ERROR**'))
    .map((line) =>
      /Installing sidecar (\S+)|\/(s\d+)\/config-server|sidecar "(s\d+)"|sidecars\/(s\d+)/.exec(line),
    )
    .flatMap((m) => (m ? [m[1] ?? m[2] ?? m[3] ?? m[4] ?? ''] : []));
}

describe('parallel fetch', () => {
  it('downloads several sidecars at once and logs each one whole, in config order', async () => {
    // The first is the slowest: one after another this would take 6 x 300 ms at least.
    const names = ['s1', 's2', 's3', 's4', 's5', 's6'];
    const sidecars = names.map((name, i) => ({
      name,
      uri: serveSlowly(`/ok/${name}/config-server.tgz`, i === 0 ? 900 : 300),
    }));
    peak = 0;
    const dirs = await appWith(sidecars);
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
    expect(peak).toBe(FETCH_CONCURRENCY);
    const order = sidecarOfEachLine(result.stdout);
    // Header, Download, downloaded, Unpacked for each: grouped, s1 first although it came last.
    expect(order).toEqual(names.flatMap((n) => [n, n, n, n]));
    expect(await readdir(join(dirs.depsDir, '0', 'sidecars'))).toEqual(names);
  });

  it('reports the first failure in config order, prints nothing of the sidecars after it, and leaves no sidecar', async () => {
    // s2 fails at once; s1 (before it) is still downloading and must finish; s3 and s4 (after it)
    // succeed quickly but a loop would never have reached them.
    const sidecars = [
      { name: 's1', uri: serveSlowly('/f/s1/config-server.tgz', 800) },
      { name: 's2', uri: serveSlowly('/f/s2/config-server.tgz', 10, 404) },
      { name: 's3', uri: serveSlowly('/f/s3/config-server.tgz', 10) },
      { name: 's4', uri: serveSlowly('/f/s4/config-server.tgz', 10) },
      { name: 's5', uri: serveSlowly('/f/s5/config-server.tgz', 10) },
    ];
    const dirs = await appWith(sidecars);
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode).toBe(1);
    const lines = result.stdout.split('\n');
    const errors = lines.filter((l) => l.includes('**ERROR**'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('/f/s2/config-server.tgz');
    expect(errors[0]).toContain('404');
    expect(sidecarOfEachLine(result.stdout)).toEqual(['s1', 's1', 's1', 's1', 's2', 's2']);
    expect(result.stdout).not.toMatch(/\bs[345]\b/);
    // s5 was never started: a loop would not have reached it.
    expect(server.hits('/f/s5')).toEqual([]);
    expect(await readdir(join(dirs.depsDir, '0'))).toEqual([]);
  });

  it("prints a retry note among its own sidecar's lines, after the sidecars before it", async () => {
    // s2 is answered 503 at once and retried while s1 still downloads.
    let answered = 0;
    server.route('/r/s2/config-server.tgz', (_req, res) => {
      if (answered++ === 0) res.writeHead(503).end('busy');
      else res.writeHead(200, { 'content-length': archive.length }).end(archive);
    });
    const dirs = await appWith([
      { name: 's1', uri: serveSlowly('/r/s1/config-server.tgz', 1500) },
      { name: 's2', uri: `${server.url}/r/s2/config-server.tgz` },
    ]);
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
    const lines = result.stdout.split('\n');
    const retry = lines.findIndex((l) => l.includes('Download of sidecar "s2" failed (HTTP 503'));
    expect(retry).toBeGreaterThan(
      lines.findIndex((l) => l.includes('Unpacked tar.gz into $DEPS_DIR/0/sidecars/s1')),
    );
    expect(retry).toBeGreaterThan(lines.indexOf('-----> Installing sidecar s2'));
  });

  it('fetches a uri two sidecars share once; the second finds it in the staging cache', async () => {
    const uri = serveSlowly('/shared/config-server.tgz', 200);
    const dirs = await appWith([
      { name: 'one', uri },
      { name: 'two', uri },
    ]);
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs));
    expect(result.exitCode, result.all).toBe(0);
    expect(server.hits('/shared/')).toHaveLength(1);
    expect(result.stdout).toContain('sidecar "one": downloaded');
    expect(result.stdout).toContain('sidecar "two": from the staging cache, sha256 verified');
  });

  it('stops every download on SIGTERM, removes the partial files and what was unpacked, and exits 143', async () => {
    // s1 arrives whole and unpacks; s2 and s3 send a first part of their bodies and then hang.
    let receiving = 0;
    let bothReceiving!: () => void;
    const hanging = new Promise<void>((resolve) => (bothReceiving = resolve));
    const hang = (path: string) => {
      server.route(path, (_req, res) => {
        res.writeHead(200, { 'content-length': archive.length });
        res.write(archive.subarray(0, 200), () => {
          if (++receiving === 2) bothReceiving();
        });
      });
      return `${server.url}${path}`;
    };
    const dirs = await appWith([
      { name: 's1', uri: serveSlowly('/t/s1/config-server.tgz', 10) },
      { name: 's2', uri: hang('/t/s2/config-server.tgz') },
      { name: 's3', uri: hang('/t/s3/config-server.tgz') },
    ]);
    const cancel = new AbortController();
    void hanging.then(() => setTimeout(() => cancel.abort(), 200));
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs), { cancelSignal: cancel.signal });
    expect(result.exitCode).toBe(143);
    expect(result.stdout.split('\n').filter((l) => l.includes('**ERROR**'))).toEqual([
      '       **ERROR** staging was interrupted by SIGTERM; its partial downloads and unpacked files were removed',
    ]);
    expect(await readdir(join(dirs.depsDir, '0'))).toEqual([]);
    // Only s1's complete, verified download may stay in the cache; no partial file of s2 or s3.
    const cached = await readdir(join(dirs.cacheDir, 'dependencies'), { recursive: true });
    expect(cached.filter((p) => p.includes('partial'))).toEqual([]);
    expect(cached.filter((p) => p.endsWith('.tgz'))).toHaveLength(1);
  });
});
