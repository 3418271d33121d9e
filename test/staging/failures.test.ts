/**
 * Staging failures a user can cause: each must print one clear `**ERROR**` line (no stack trace)
 * and leave nothing behind in DEPS_DIR or the cache.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildpackManifest } from '../../src/dependencies/manifest-types.js';
import { makeTestBuildpack, serveFixtureSidecar, FIXTURES } from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { freePort } from '../support/net.js';
import { runPhase, stagingDirs, supplyArgs, type StagingDirs } from '../support/staging.js';
import { tempDir } from '../support/tmp.js';
import { listTree } from '../support/tree.js';
import { selfSignedCert, type TestCertificate } from '../support/tls.js';

let server: TestServer;
let tlsServer: TestServer;
let cert: TestCertificate;
let buildpack: string;
let sidecarUri: string;
let sidecarSha: string;
let sidecarBody: Buffer;

beforeAll(async () => {
  server = await startServer();
  cert = await selfSignedCert();
  tlsServer = await startServer(cert);
  const sidecar = await serveFixtureSidecar(server);
  sidecarUri = sidecar.uri;
  sidecarSha = sidecar.sha256;
  sidecarBody = await readFile(sidecar.path);
  buildpack = await makeTestBuildpack({ node: { server }, dependencies: [sidecar] });
});
afterAll(async () => {
  await tlsServer.close();
  await server.close();
});

async function stageWith(
  sidecarsYml: string,
  env: Record<string, string> = {},
  { dirs, cancelSignal }: { dirs?: StagingDirs; cancelSignal?: AbortSignal } = {},
) {
  const staging = dirs ?? (await stagingDirs());
  await writeFile(join(staging.buildDir, 'sidecars.yml'), sidecarsYml);
  const result = await runPhase(buildpack, 'supply', supplyArgs(staging), {
    env,
    ...(cancelSignal ? { cancelSignal } : {}),
  });
  return { dirs: staging, result };
}

/** sidecars.yml with one sidecar downloaded from `uri`, pinned to the fixture sidecar's sha256. */
function uriSidecar(uri: string, sha256 = sidecarSha): string {
  return `sidecars:\n  - name: cs\n    uri: ${uri}\n    sha256: ${sha256}\n    command: ./config-server\n    memory: 64M\n`;
}

/** What a staging left in DEPS_DIR/0 and in the cache's sidecar entries (the node runtime aside). */
async function leftovers(dirs: StagingDirs): Promise<string[]> {
  return [
    ...(await listTree(join(dirs.depsDir, '0'))).map((p) => `deps/0/${p}`),
    ...(await listTree(join(dirs.cacheDir, 'dependencies'))).map((p) => `cache/dependencies/${p}`),
  ];
}

describe('failure cases', () => {
  it('fails on a sha256 mismatch with expected and actual, leaving nothing in deps or cache', async () => {
    const wrong = 'a'.repeat(64);
    const { dirs, result } = await stageWith(
      `sidecars:\n  - name: cs\n    uri: ${sidecarUri}\n    sha256: ${wrong}\n    command: ./config-server\n    memory: 64M\n`,
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(`dependency sha256 mismatch: expected ${wrong} actual ${sidecarSha}`);
    expect(result.all).not.toMatch(/\n\s+at /);
    expect(await listTree(join(dirs.depsDir, '0'))).toEqual([]);
    expect((await listTree(join(dirs.cacheDir, 'dependencies'))).filter((p) => !p.includes('node'))).toEqual(
      [],
    );
  });

  it('names the file, line and key of a bad memory value', async () => {
    const { dirs, result } = await stageWith(
      'sidecars:\n  - name: cs\n    dependency: config-server\n    command: ./config-server\n    memory: lots\n',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '       **ERROR** sidecars.yml:5: sidecars[0].memory: "lots" is not a size like 256M',
    );
    expect(await listTree(join(dirs.depsDir, '0'))).toEqual([]);
  });

  it('reports every mistake of a sidecars.yml in one staging, then the count, and writes nothing', async () => {
    const { dirs, result } = await stageWith(
      [
        'sidecars:',
        '  - name: cs',
        '    dependency: config-server',
        '    memory: lots',
        '    priority: urgent',
        '  - name: two',
        '    dependency: config-server',
        '    memory: 64M',
        '    colour: blue',
        '',
      ].join('\n'),
    );
    expect(result.exitCode).toBe(1);
    const errors = result.stdout.split('\n').filter((l) => l.includes('**ERROR**'));
    expect(errors).toEqual([
      '       **ERROR** sidecars.yml:4: sidecars[0].memory: "lots" is not a size like 256M',
      expect.stringMatching(/^ {7}\*\*ERROR\*\* sidecars\.yml:5: sidecars\[0\]\.priority: "urgent" is not /),
      expect.stringMatching(/^ {7}\*\*ERROR\*\* sidecars\.yml:9: sidecars\[1\]\.colour: unknown key/),
    ]);
    expect(result.stdout).toContain(
      '       3 mistakes; staging stopped before anything was fetched or written',
    );
    expect(await listTree(join(dirs.depsDir, '0'))).toEqual([]);
  });

  it('reports every sidecar that cannot be planned (memory missing twice) in one staging', async () => {
    const { result } = await stageWith(
      'sidecars:\n  - name: a\n    dependency: config-server\n    command: ./config-server\n  - name: b\n    dependency: config-server\n    command: ./config-server\n',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('**ERROR** sidecars.yml:2: sidecars[0].memory: is missing');
    expect(result.stdout).toContain('**ERROR** sidecars.yml:5: sidecars[1].memory: is missing');
  });

  it('explains the Java buildpack consequence when memory is missing', async () => {
    const { result } = await stageWith(
      'sidecars:\n  - name: cs\n    dependency: config-server\n    command: ./config-server\n',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('sidecars.yml:2: sidecars[0].memory: is missing');
    expect(result.stdout + result.stderr).toMatch(/Java buildpack sizes the JVM to the whole container/);
  });

  it('lists the available versions when none matches', async () => {
    const { result } = await stageWith(
      'sidecars:\n  - name: cs\n    dependency: config-server\n    version: 2.x\n    command: ./config-server\n    memory: 64M\n',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      'no version of dependency "config-server" matches "2.x" on cflinuxfs4 (available: 1.0.0)',
    );
  });

  it('names the dependency and the redacted URL on a 404, without retrying', async () => {
    const before = server.hits('/missing').length;
    const { dirs, result } = await stageWith(
      `sidecars:\n  - name: cs\n    uri: ${server.url.replace('http://', 'http://user:hunter22@')}/missing/agent.tgz?token=abc123\n    sha256: ${sidecarSha}\n    command: ./agent\n    memory: 64M\n`,
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /could not download sidecar "cs" from http:\/\/\*\*\*@127\.0\.0\.1:\d+\/missing\/agent\.tgz\?token=\*\*\*: HTTP 404/,
    );
    expect(result.all).not.toContain('hunter22');
    expect(result.all).not.toContain('abc123');
    expect(server.hits('/missing').length - before).toBe(1);
    expect(await listTree(join(dirs.depsDir, '0'))).toEqual([]);
  });

  it('fails on a sha256 mismatch of a manifest dependency, leaving nothing behind', async () => {
    const sidecar = await serveFixtureSidecar(server, 'config-server', { version: '1.0.1' });
    const wrong = 'b'.repeat(64);
    const { dependencies } = parse(
      await readFile(join(buildpack, 'manifest.yml'), 'utf8'),
    ) as BuildpackManifest;
    const tampered = await makeTestBuildpack({
      dependencies: [...dependencies.filter((d) => d.name === 'node'), { ...sidecar, sha256: wrong }],
    });
    const dirs = await stagingDirs(join(FIXTURES, 'apps', 'config-server-app'));
    const result = await runPhase(tampered, 'supply', supplyArgs(dirs));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      `       **ERROR** config-server 1.0.1: dependency sha256 mismatch: expected ${wrong} actual ${sidecar.sha256}`,
    );
    expect(await leftovers(dirs)).toEqual([]);
  });

  it('detects a cached file corrupted between stagings and downloads it again', async () => {
    const dirs = await stagingDirs();
    expect((await stageWith(uriSidecar(sidecarUri), {}, { dirs })).result.exitCode).toBe(0);
    const [entry] = await readdir(join(dirs.cacheDir, 'dependencies'));
    const cached = join(dirs.cacheDir, 'dependencies', entry as string, 'config-server-1.0.0.tgz');
    await writeFile(cached, 'bit rot');
    const before = server.hits('/sidecars/config-server-1.0.0.tgz').length;

    const again = await stageWith(
      uriSidecar(sidecarUri),
      {},
      { dirs: { ...(await stagingDirs()), cacheDir: dirs.cacheDir } },
    );
    expect(again.result.exitCode, again.result.all).toBe(0);
    expect(again.result.stdout).toMatch(
      /\*\*WARNING\*\* The cached copy of sidecar "cs" is corrupt \(sha256 [0-9a-f]{64}\); downloading it again/,
    );
    expect(again.result.stdout).toContain('sidecar "cs": downloaded');
    expect(server.hits('/sidecars/config-server-1.0.0.tgz').length - before).toBe(1);
    expect(await readFile(cached)).toEqual(sidecarBody);
  });

  it.each([
    ['a 404', '/missing/agent.tgz', /HTTP 404/],
    ['a body cut short without Content-Length', '/cut/agent.tgz', /dependency sha256 mismatch/],
    ['a redirect loop', '/loop/agent.tgz', /too many redirects/],
  ])('leaves no partial file after %s, and the next staging starts clean', async (_what, path, message) => {
    server.route(
      '/cut/agent.tgz',
      (req) =>
        void req.socket.end(
          Buffer.concat([
            Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'),
            sidecarBody.subarray(0, 200),
          ]),
        ),
    );
    server.route(
      '/loop/agent.tgz',
      (_req, res) => void res.writeHead(302, { location: '/loop/agent.tgz' }).end(),
    );
    const { dirs, result } = await stageWith(uriSidecar(`${server.url}${path}`));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(message);
    expect(await leftovers(dirs)).toEqual([]);

    server.route(path, (_req, res) => void res.writeHead(200).end(sidecarBody));
    const again = await stageWith(uriSidecar(`${server.url}${path}`), {}, { dirs });
    expect(again.result.exitCode, again.result.all).toBe(0);
    expect(again.result.stdout).toContain('sidecar "cs": downloaded');
    expect(await listTree(join(dirs.depsDir, '0', 'sidecars'))).toEqual(['cs', 'cs/config-server']);
  });

  it('clears a partial file left in the cache by a staging that was killed', async () => {
    const dirs = await stagingDirs();
    const entry = join(dirs.cacheDir, 'dependencies', createHash('sha256').update(sidecarUri).digest('hex'));
    await mkdir(entry, { recursive: true });
    await writeFile(join(entry, 'config-server-1.0.0.tgz.partial-999-dead'), 'half');
    const { result } = await stageWith(uriSidecar(sidecarUri), {}, { dirs });
    expect(result.exitCode, result.all).toBe(0);
    expect(await listTree(join(dirs.cacheDir, 'dependencies'))).toEqual([
      basename(entry),
      `${basename(entry)}/config-server-1.0.0.tgz`,
    ]);
  });

  it('retries a connection reset mid-body and stages without a leftover partial file', async () => {
    let calls = 0;
    server.route('/reset/agent.tgz', (req, res) => {
      res.writeHead(200, { 'content-length': sidecarBody.length });
      if (++calls > 1) return void res.end(sidecarBody);
      res.write(sidecarBody.subarray(0, 200), () => req.socket.resetAndDestroy());
    });
    const { dirs, result } = await stageWith(uriSidecar(`${server.url}/reset/agent.tgz`));
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(/^ {7}Download of sidecar "cs" failed \(.+\); retry 1 of 3/m);
    expect(await listTree(join(dirs.cacheDir, 'dependencies'))).toEqual([
      expect.stringMatching(/^[0-9a-f]{64}$/),
      expect.stringMatching(/^[0-9a-f]{64}\/agent\.tgz$/),
    ]);
  });

  it('refuses a redirect from https to plain http, naming the redacted target', async () => {
    tlsServer.route(
      '/agent.tgz',
      (_req, res) => void res.writeHead(302, { location: `${sidecarUri}?sig=s3cr3t` }).end(),
    );
    const { dirs, result } = await stageWith(uriSidecar(`${tlsServer.url}/agent.tgz`), {
      NODE_EXTRA_CA_CERTS: cert.certPath,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /\*\*ERROR\*\* could not download sidecar "cs" from https:\/\/127\.0\.0\.1:\d+\/agent\.tgz: refused a redirect from https to plain http \(http:\/\/127\.0\.0\.1:\d+\/sidecars\/config-server-1\.0\.0\.tgz\?sig=\*\*\*\)/,
    );
    expect(result.all).not.toContain('s3cr3t');
    expect(await leftovers(dirs)).toEqual([]);
  });

  it('follows a redirect from https to plain http when SIDECAR_ALLOW_INSECURE_REDIRECTS=true', async () => {
    tlsServer.route('/agent.tgz', (_req, res) => void res.writeHead(302, { location: sidecarUri }).end());
    const { result } = await stageWith(uriSidecar(`${tlsServer.url}/agent.tgz`), {
      NODE_EXTRA_CA_CERTS: cert.certPath,
      SIDECAR_ALLOW_INSECURE_REDIRECTS: 'true',
    });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain('sidecar "cs": downloaded');
  });

  it('names the proxy that refuses connections, without retrying', async () => {
    const closed = await freePort();
    // The sidecar is asked from `localhost`, the node runtime (fetched first, by curl) from
    // 127.0.0.1, which NO_PROXY lets go direct: the sidecar's download is the one that meets the proxy.
    const uri = sidecarUri.replace('127.0.0.1', 'localhost');
    const { dirs, result } = await stageWith(uriSidecar(uri), {
      http_proxy: `http://u:proxy-secret@127.0.0.1:${closed}`,
      no_proxy: '127.0.0.1',
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      `       **ERROR** could not download sidecar "cs" from ${uri}: proxy http://***@127.0.0.1:${closed} refused the connection (ECONNREFUSED)`,
    );
    expect(result.all).not.toContain('**WARNING** Download');
    expect(result.all).not.toContain('proxy-secret');
    expect(await leftovers(dirs)).toEqual([]);
  });

  it('removes the partial download and exits 143 when SIGTERM arrives mid-download', async () => {
    let receiving!: () => void;
    const midBody = new Promise<void>((resolve) => (receiving = resolve));
    server.route('/slow/agent.tgz', (_req, res) => {
      res.writeHead(200, { 'content-length': sidecarBody.length });
      res.write(sidecarBody.subarray(0, 200), () => receiving());
    });
    const cancel = new AbortController();
    void midBody.then(() => cancel.abort());
    const { dirs, result } = await stageWith(
      uriSidecar(`${server.url}/slow/agent.tgz`),
      {},
      { cancelSignal: cancel.signal },
    );
    expect(result.exitCode).toBe(143);
    expect(result.stdout).toContain(
      '       **ERROR** staging was interrupted by SIGTERM; its partial downloads and unpacked files were removed',
    );
    expect(await leftovers(dirs)).toEqual([]);
  });

  it('stops unpacking, removes what it unpacked and exits 143 with its ERROR line on SIGTERM mid-unpack', async () => {
    // 30,000 empty files in a small .tgz: a download of a moment, then seconds of unpacking, where
    // SIGTERM arrives; an unpack that went on past the clean-up grace left .unpacking behind.
    const dir = await tempDir('big-');
    await execa(
      'sh',
      [
        '-c',
        'mkdir t && cd t && seq -f f%g 30000 | xargs touch && tar czf ../agent.tgz . && cd .. && rm -r t',
      ],
      {
        cwd: dir,
      },
    );
    const archive = join(dir, 'agent.tgz');
    let sent!: () => void;
    const downloaded = new Promise<void>((resolve) => (sent = resolve));
    server.route('/big/agent.tgz', async (_req, res) => {
      const body = await readFile(archive);
      res.writeHead(200, { 'content-length': body.length });
      res.end(body, () => sent());
    });
    // SIGTERM once the unpacking is under way: its temp dir holds files.
    const cancel = new AbortController();
    const dirs = await stagingDirs();
    const sidecars = join(dirs.depsDir, '0', 'sidecars');
    void downloaded.then(async () => {
      for (let i = 0; i < 400 && !cancel.signal.aborted; i++) {
        const temp = (await readdir(sidecars).catch(() => [] as string[])).find((n) =>
          n.endsWith('.unpacking'),
        );
        if (temp && (await readdir(join(sidecars, temp)).catch(() => [])).length > 100) cancel.abort();
        else await new Promise((r) => setTimeout(r, 25));
      }
    });
    const sha = createHash('sha256')
      .update(await readFile(archive))
      .digest('hex');
    const { result } = await stageWith(
      uriSidecar(`${server.url}/big/agent.tgz`, sha),
      {},
      {
        dirs,
        cancelSignal: cancel.signal,
      },
    );
    expect(cancel.signal.aborted).toBe(true);
    expect(result.exitCode, result.all).toBe(143);
    expect(result.stdout).toContain(
      '       **ERROR** staging was interrupted by SIGTERM; its partial downloads and unpacked files were removed',
    );
    // The download was complete and verified: the cache may keep it for the next staging.
    expect((await leftovers(dirs)).filter((p) => p.startsWith('deps/'))).toEqual([]);
  }, 120_000);

  it('removes what a SIGKILLed staging left mid-unpack when the next one starts', async () => {
    const dirs = await stagingDirs();
    const stale = join(dirs.depsDir, '0', 'sidecars', '.1700000000000-4242.unpacking');
    await mkdir(join(stale, 'half'), { recursive: true });
    await writeFile(join(stale, 'half', 'file'), 'x');
    const { result } = await stageWith(uriSidecar(sidecarUri), {}, { dirs });
    expect(result.exitCode, result.all).toBe(0);
    expect(await readdir(join(dirs.depsDir, '0', 'sidecars'))).toEqual(['cs']);
  });

  it('fails cleanly when the config is in SIDECARS_YML and broken', async () => {
    const dirs = await stagingDirs(join(FIXTURES, 'apps', 'config-server-app'));
    const result = await runPhase(buildpack, 'supply', supplyArgs(dirs), {
      env: { SIDECARS_YML: 'sidecars:\n  - name: x\n    dependncy: config-server\n' },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '       **ERROR** $SIDECARS_YML:3: sidecars[0].dependncy: unknown key; did you mean "dependency"?',
    );
  });
});

describe('names at the limits', () => {
  it('stages a 255-character sidecar name whose artifact has a 240-character file name', async () => {
    const name = `s${'x'.repeat(254)}`;
    const file = `${'a'.repeat(233)}.tgz`;
    server.route(`/long/${file}`, (_req, res) => void res.writeHead(200).end(sidecarBody));
    const yml = uriSidecar(`${server.url}/long/${file}`).replace('name: cs', `name: ${name}`);
    const { dirs, result } = await stageWith(yml);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).not.toContain('This is a bug');
    expect(await readdir(join(dirs.depsDir, '0', 'sidecars'))).toEqual([name]);
  });

  it('refuses a process type too long for the file the run time keeps for it, up front', async () => {
    const type = `w${'x'.repeat(240)}`;
    const yml = uriSidecar(sidecarUri).replace(
      '    memory: 64M\n',
      `    memory: 64M\n    process_types: [${type}]\n`,
    );
    const { result } = await stageWith(yml);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      `is 241 characters long; at most 240 (the buildpack names a file of its run time after each process type)`,
    );
  });
});
