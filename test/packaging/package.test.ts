/**
 * scripts/package.sh end to end: real zips from a local mirror (the manifest's uris point at a
 * host that cannot resolve), inspected with the system's unzip, rebuilt byte for byte, and staged
 * with `package.sh --verify` offline (no node on PATH, network refused) and online (local server).
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_SCRIPTS } from '../../src/runtime/install-runtime.js';
import type { BuildpackManifest, ManifestDependency } from '../../src/dependencies/manifest-types.js';
import { UserError } from '../../src/errors.js';
import { Logger } from '../../src/log/logger.js';
import { verifyZip } from '../../src/packaging/verify-zip.js';
import {
  makeTestBuildpack,
  REPO_ROOT,
  serveFixtureSidecar,
  serveNodeRuntime,
  withDocs,
} from '../support/buildpack.js';
import { startServer, type TestServer } from '../support/http-server.js';
import { tempDir } from '../support/tmp.js';

const PACKAGE_SH = join(REPO_ROOT, 'scripts', 'package.sh');
const VERSION = '9.8.7';
/** A host that never resolves (RFC 2606), standing in for buildpacks.cloudfoundry.org. */
const UNREACHABLE = 'https://deps.example.invalid';

let server: TestServer;
/** Real-looking manifest (unreachable uris); bytes come from the mirror. */
let mirroredSource: string;
/** Manifest whose uris point at the local server, for the online zip. */
let onlineSource: string;
let mirrorDir: string;
let artifacts: Record<string, ManifestDependency & { path: string }>;

beforeAll(async () => {
  server = await startServer();
  const node = await serveNodeRuntime(server);
  const sidecar = await serveFixtureSidecar(server);
  const sidecarFs5 = await serveFixtureSidecar(server, 'config-server', { version: '1.0.1' });
  const nodePath = join(await tempDir('node-copy-'), 'node.tgz');
  await writeFile(nodePath, await (await fetch(node.uri)).bytes());
  artifacts = {
    node: { ...node, path: nodePath },
    sidecar,
    sidecarFs5: { ...sidecarFs5, cf_stacks: ['cflinuxfs5'] },
  };

  mirrorDir = await tempDir('mirror-');
  const mirrored: ManifestDependency[] = [];
  for (const a of Object.values(artifacts)) {
    const name = a.uri.slice(a.uri.lastIndexOf('/') + 1);
    await cp(a.path, join(mirrorDir, name));
    server.file(`/mirror/${name}`, a.path);
    const { path: _path, ...entry } = a;
    mirrored.push({ ...entry, uri: `${UNREACHABLE}/${a.name}/${name}` });
  }
  mirroredSource = await withDocs(await makeTestBuildpack({ dependencies: mirrored }));
  onlineSource = await withDocs(await makeTestBuildpack({ node: { server }, dependencies: [sidecar] }));
}, 120_000);
afterAll(() => server.close());

async function packageSh(args: string[], env: Record<string, string> = {}) {
  return execa(PACKAGE_SH, args, { reject: false, all: true, env: { SIDECAR_BUILDPACK_MIRROR: '', ...env } });
}

async function packaged(args: string[], env: Record<string, string> = {}) {
  const output = await tempDir('out-');
  const result = await packageSh([...args, '--output', output, '--version', VERSION], env);
  expect(result.exitCode, result.all).toBe(0);
  const [name] = await readdir(output);
  return { result, zip: join(output, name ?? ''), name };
}

async function unzipped(zip: string): Promise<string> {
  const dir = await tempDir('unzipped-');
  await execa('unzip', ['-q', zip, '-d', dir]);
  return dir;
}

/** `unzip -Z` (zipinfo) lines: mode and name, as another tool than ours reads them. */
async function zipListing(zip: string): Promise<Map<string, string>> {
  const { stdout } = await execa('unzip', ['-Z', zip]);
  const rows = stdout.split('\n').filter((l) => /^[-dl][rwx-]{9} /.test(l));
  return new Map(rows.map((l) => [l.split(/\s+/).slice(8).join(' '), l.slice(0, 10)]));
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

describe('package.sh --cached', () => {
  let cached: { zip: string; name: string | undefined; result: Awaited<ReturnType<typeof packageSh>> };
  let cacheDir: string;

  beforeAll(async () => {
    cacheDir = await tempDir('download-cache-');
    cached = await packaged([
      '--cached',
      '--stack',
      'cflinuxfs4',
      '--source',
      mirroredSource,
      '--mirror',
      mirrorDir,
      '--cache-dir',
      cacheDir,
    ]);
  }, 120_000);

  it('names the zip by flavour, stack and version and prints its path, size and sha256', async () => {
    expect(cached.name).toBe(`sidecar_buildpack-cached-cflinuxfs4-v${VERSION}.zip`);
    expect(cached.result.stdout).toContain(`-----> Wrote ${cached.zip}`);
    expect(cached.result.stdout).toContain(`(${(await stat(cached.zip)).size} bytes)`);
    expect(cached.result.stdout).toContain(`sha256: ${await sha256(cached.zip)}`);
  });

  it('holds bin/ with its modes, the bundle, docs and the stack’s dependencies, and nothing else', async () => {
    const listing = await zipListing(cached.zip);
    const deps = [artifacts.sidecar].map((a) => {
      const uri = `${UNREACHABLE}/${a?.name}/${a?.uri.slice(a.uri.lastIndexOf('/') + 1)}`;
      return `dependencies/${md5(uri)}/${uri.slice(uri.lastIndexOf('/') + 1)}`;
    });
    // The Node runtime unpacked, run in place: no .tgz of it.
    const runtime = `dependencies/node-runtime/22.23.1-${artifacts.node?.sha256.slice(0, 12)}/bin/node`;
    expect([...listing.keys()].sort()).toEqual(
      [
        'CHANGELOG.md',
        'LICENSE',
        'README.md',
        'VERSION',
        'bin/detect',
        'bin/finalize',
        'bin/lib/node-runtime.sh',
        'bin/release',
        'bin/supply',
        'dist/sidecar-buildpack.cjs',
        'dist/sidecar-buildpack.cjs.LEGAL.txt',
        'dist/start.cjs',
        ...RUNTIME_SCRIPTS.map((script) => `dist/runtime/${script}`),
        'manifest.yml',
        ...deps,
        runtime,
      ].sort(),
    );
    for (const phase of ['detect', 'supply', 'finalize', 'release'])
      expect(listing.get(`bin/${phase}`)).toBe('-rwxr-xr-x');
    expect(listing.get('manifest.yml')).toBe('-rw-r--r--');
    expect(listing.get('dist/runtime/supervise.sh')).toBe('-rwxr-xr-x');
    expect(listing.get(deps[0] ?? '')).toBe('-rw-r--r--');
    expect(listing.get(runtime)).toBe('-rwxr-xr-x');
  });

  it('rewrites manifest.yml: stack:, no cf_stacks, file: keys at the md5 paths, whose bytes match the sha256', async () => {
    const dir = await unzipped(cached.zip);
    const manifest = parse(await readFile(join(dir, 'manifest.yml'), 'utf8')) as BuildpackManifest;
    expect(manifest.stack).toBe('cflinuxfs4');
    expect(manifest.dependencies.map((d) => d.name)).toEqual(['node', 'config-server']);
    expect(manifest.dependencies.map((d) => d.version)).not.toContain('1.0.1');
    const [node, ...sidecars] = manifest.dependencies;
    expect(node?.file).toBe(`dependencies/node-runtime/22.23.1-${node?.sha256.slice(0, 12)}/bin/node`);
    // The runtime's bin/node as the .tgz holds it.
    expect(await readFile(join(dir, node?.file ?? ''))).toEqual(
      Buffer.from(
        (
          await execa('tar', ['-xOzf', artifacts.node?.path ?? '', '--wildcards', '*bin/node'], {
            encoding: 'buffer',
            stripFinalNewline: false,
          })
        ).stdout,
      ),
    );
    for (const d of sidecars) {
      expect(d.cf_stacks).toBeUndefined();
      // md5sum, as the bin/ shims compute it, not our own code.
      const { stdout } = await execa('bash', ['-c', 'printf %s "$1" | md5sum | cut -d " " -f 1', '_', d.uri]);
      expect(d.file).toBe(`dependencies/${stdout}/${d.uri.slice(d.uri.lastIndexOf('/') + 1)}`);
      expect(await sha256(join(dir, d.file ?? ''))).toBe(d.sha256);
    }
    expect((await readFile(join(dir, 'VERSION'), 'utf8')).trim()).toBe(VERSION);
  });

  it('rebuilds byte for byte, from a URL mirror, in another time zone, without fetching again', async () => {
    const freshCache = await tempDir('download-cache-');
    const before = server.hits('/mirror/').length;
    const viaUrl = await packaged(
      ['--cached', '--stack', 'cflinuxfs4', '--source', mirroredSource, '--cache-dir', freshCache],
      {
        SIDECAR_BUILDPACK_MIRROR: `${server.url}/mirror`,
        TZ: 'Pacific/Auckland',
      },
    );
    expect(server.hits('/mirror/').length - before).toBe(2);
    const again = await packaged(
      [
        '--cached',
        '--stack',
        'cflinuxfs4',
        '--source',
        mirroredSource,
        '--cache-dir',
        freshCache,
        '--mirror',
        `${server.url}/mirror`,
      ],
      {
        TZ: 'America/Los_Angeles',
      },
    );
    expect(server.hits('/mirror/').length - before).toBe(2);
    expect(again.result.stdout).toContain('from cache, sha256 verified');
    const original = await readFile(cached.zip);
    expect((await readFile(viaUrl.zip)).equals(original)).toBe(true);
    expect((await readFile(again.zip)).equals(original)).toBe(true);
  });

  it('stages the fixture app from the unpacked zip with no node on PATH and no network connection', async () => {
    const hits = server.requests.length;
    const result = await packageSh(['--verify', cached.zip]);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain('network refused, no node on PATH');
    expect(result.stdout).toContain('Using Node.js 22.23.1 for staging (in the buildpack)');
    expect(result.stdout).toMatch(/config-server: sidecar for web, 64 MB/);
    expect(result.stdout).toMatch(
      /Verified: staged in [\d.]+s on cflinuxfs4, offline \(.*proxy trap\), 0 connection attempts/,
    );
    expect(server.requests.length).toBe(hits);
  });

  it('stages it offline through the proxy trap alone (no network namespace) with zero connection attempts', async () => {
    const log = new Logger({ write: () => undefined });
    const app = join(REPO_ROOT, 'fixtures', 'apps', 'config-server-app');
    const result = await verifyZip(
      { zip: cached.zip, app, isolateNetwork: false, hostPath: process.env.PATH ?? '', hostProxyEnv: {} },
      log,
    );
    expect(result).toMatchObject({
      offline: true,
      isolation: 'proxy trap',
      connectionAttempts: 0,
      stack: 'cflinuxfs4',
    });
    expect(result.launch.processes.map((p) => p.type)).toEqual(['config-server']);
  });

  it('prints progress lines while a slow download runs', async () => {
    for (const a of [artifacts.node, artifacts.sidecar]) {
      const bytes = await readFile(a?.path ?? '');
      server.route(`/slow/${a?.uri.slice(a.uri.lastIndexOf('/') + 1)}`, async (_req, res) => {
        res.writeHead(200, { 'content-length': bytes.length });
        res.write(bytes.subarray(0, 100));
        if (a?.name === 'node') await new Promise((r) => setTimeout(r, 2300));
        res.end(bytes.subarray(100));
      });
    }
    const { result } = await packaged([
      '--cached',
      '--stack',
      'cflinuxfs4',
      '--source',
      mirroredSource,
      '--cache-dir',
      await tempDir('c-'),
      '--mirror',
      `${server.url}/slow`,
    ]);
    expect(result.stdout).toMatch(/\n {7}node 22\.23\.1: \d+ B of \d+ B \(100%\), [\d.]+ (B|KB|MB)\/s\n/);
  });

  it('packages every stack’s dependencies with --any-stack, keeping cf_stacks', async () => {
    const { zip, name } = await packaged([
      '--cached',
      '--any-stack',
      '--source',
      mirroredSource,
      '--mirror',
      mirrorDir,
      '--cache-dir',
      cacheDir,
    ]);
    expect(name).toBe(`sidecar_buildpack-cached-v${VERSION}.zip`);
    const manifest = parse((await execa('unzip', ['-p', zip, 'manifest.yml'])).stdout) as BuildpackManifest;
    expect(manifest.stack).toBeUndefined();
    expect(manifest.dependencies.map((d) => [d.version, d.cf_stacks])).toEqual([
      ['22.23.1', ['cflinuxfs4']],
      ['1.0.0', ['cflinuxfs4']],
      ['1.0.1', ['cflinuxfs5']],
    ]);
    expect([...(await zipListing(zip)).keys()].filter((p) => p.startsWith('dependencies/'))).toHaveLength(3);
  });
});

describe('package.sh (online)', () => {
  it('keeps manifest.yml as is, carries no dependencies, and stages by downloading from the manifest uris', async () => {
    const { zip, name } = await packaged(['--source', onlineSource]);
    expect(name).toBe(`sidecar_buildpack-v${VERSION}.zip`);
    const listing = await zipListing(zip);
    expect(
      [...listing.keys()].some(
        (p) => p.startsWith('dependencies/') || p.startsWith('src/') || p.includes('node_modules'),
      ),
    ).toBe(false);
    expect((await execa('unzip', ['-p', zip, 'manifest.yml'])).stdout).toBe(
      (await readFile(join(onlineSource, 'manifest.yml'), 'utf8')).trimEnd(),
    );

    const nodeHits = server.hits('/node/').length;
    const result = await packageSh(['--verify', zip]);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toContain('network allowed, no node on PATH');
    expect(result.stdout).toContain('Network: allowed (an online zip downloads its dependencies)');
    expect(result.stdout).toContain('Using Node.js 22.23.1 for staging (downloaded, sha256 verified)');
    expect(server.hits('/node/').length).toBe(nodeHits + 1);
  });

  it('fails --verify --offline with an online zip: it carries the runtime, but its sidecars download', async () => {
    const { zip } = await packaged(['--source', onlineSource, '--stack', 'cflinuxfs4']);
    const nodeHits = server.hits('/node/').length;
    const result = await packageSh(['--verify', zip, '--offline']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /\*\*ERROR\*\* staging with sidecar_buildpack-cflinuxfs4-v9\.8\.7\.zip failed \(exit 1\)/,
    );
    expect(result.all).toContain('Using Node.js 22.23.1 for staging (in the buildpack)');
    expect(result.all).toMatch(/\*\*ERROR\*\* could not download config-server 1\.0\.0 from /);
    expect(server.hits('/node/').length).toBe(nodeHits);
  });
});

describe('verifyZip without a network namespace', () => {
  it('counts the connections an offline staging attempts through the proxy trap, and fails', async () => {
    const { zip } = await packaged(['--source', onlineSource, '--stack', 'cflinuxfs4']);
    const lines: string[] = [];
    const log = new Logger({ write: (t) => void lines.push(t) });
    const nodeHits = server.hits('/node/').length;
    const error = await verifyZip(
      {
        zip,
        app: join(REPO_ROOT, 'fixtures', 'apps', 'config-server-app'),
        offline: true,
        isolateNetwork: false,
        hostPath: process.env.PATH ?? '',
        hostProxyEnv: {},
      },
      log,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(
      /tried to reach the network [1-9]\d* time\(s\) although the zip should stage offline/,
    );
    expect(lines.join('')).toContain('Network: proxy trap');
    expect(server.hits('/node/').length).toBe(nodeHits);
  });
});

describe('failure cases', () => {
  const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

  it('names a missing zip or app dir of --verify in one line', async () => {
    const missingZip = await packageSh(['--verify', '/nonexistent/sidecar_buildpack-v1.zip']);
    expect(missingZip.exitCode).toBe(1);
    expect(missingZip.stderr.trimEnd()).toBe(
      '       **ERROR** /nonexistent/sidecar_buildpack-v1.zip: no such file',
    );
    const zip = join(await tempDir('z-'), 'a.zip');
    await writeFile(zip, 'x');
    const missingApp = await packageSh(['--verify', zip, '--app', '/nonexistent/app']);
    expect(missingApp.exitCode).toBe(1);
    expect(missingApp.stderr.trimEnd()).toBe('       **ERROR** /nonexistent/app: no such directory');
    noStackTrace(missingZip.all + missingApp.all);
    expect(missingZip.all + missingApp.all).not.toContain('ENOENT');
  });

  it('aborts on a checksum mismatch in the mirror, leaving no zip and no cache entry', async () => {
    const badMirror = await tempDir('bad-mirror-');
    await cp(mirrorDir, badMirror, { recursive: true });
    const nodeName = artifacts.node?.uri.slice(artifacts.node.uri.lastIndexOf('/') + 1) ?? '';
    await writeFile(join(badMirror, nodeName), 'not the node runtime');
    const output = await tempDir('out-');
    const cacheDir = await tempDir('download-cache-');
    const result = await packageSh([
      '--cached',
      '--stack',
      'cflinuxfs4',
      '--source',
      mirroredSource,
      '--mirror',
      badMirror,
      '--cache-dir',
      cacheDir,
      '--output',
      output,
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `**ERROR** ${join(badMirror, nodeName)}: node 22.23.1: dependency sha256 mismatch: expected ${artifacts.node?.sha256} actual `,
    );
    noStackTrace(result.all ?? '');
    expect(await readdir(output)).toEqual([]);
    // Not even an empty entry dir.
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('names an unreachable mirror, and leaves no empty cache entry', async () => {
    const cacheDir = await tempDir('c-');
    const closed = await startServer();
    const url = closed.url;
    await closed.close();
    const result = await packageSh([
      '--cached',
      '--stack',
      'cflinuxfs4',
      '--source',
      mirroredSource,
      '--mirror',
      url,
      '--cache-dir',
      cacheDir,
      '--output',
      await tempDir('out-'),
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `\\*\\*ERROR\\*\\* mirror ${url}: could not download node 22\\.23\\.1 from ${url}/node_.*ECONNREFUSED`,
      ),
    );
    expect(await readdir(cacheDir)).toEqual([]);
    noStackTrace(result.all ?? '');
  }, 30_000);

  it('refuses an unknown stack, listing the stacks the manifest has', async () => {
    const result = await packageSh([
      '--stack',
      'cflinuxfs9',
      '--source',
      mirroredSource,
      '--output',
      await tempDir('out-'),
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('**ERROR** manifest.yml: unknown stack "cflinuxfs9"');
    expect(result.stdout).toContain('use one of: cflinuxfs4, cflinuxfs5, or --any-stack');
  });

  it('asks for a version when the VERSION file is missing', async () => {
    const source = await tempDir('no-version-');
    await cp(mirroredSource, source, { recursive: true });
    await rm(join(source, 'VERSION'));
    const output = await tempDir('out-');
    const result = await packageSh(['--source', source, '--output', output]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`**ERROR** VERSION: no VERSION file in ${source}`);
    expect(result.stdout).toContain('pass --version V');
    noStackTrace(result.all ?? '');
    await mkdir(output, { recursive: true });
    expect(await readdir(output)).toEqual([]);
  });
});

describe('package.sh as buildpack-packager packages', () => {
  /** A copy of the mirrored source with manifest.yml changed by `edit`. */
  async function sourceWith(edit: (m: Record<string, unknown>) => void): Promise<string> {
    const source = await tempDir('packager-source-');
    await cp(mirroredSource, source, { recursive: true });
    const manifest = parse(await readFile(join(source, 'manifest.yml'), 'utf8')) as Record<string, unknown>;
    edit(manifest);
    await writeFile(join(source, 'manifest.yml'), stringify(manifest));
    return source;
  }
  const cachedArgs = (source: string) => [
    '--cached',
    '--stack',
    'cflinuxfs4',
    '--source',
    source,
    '--mirror',
    mirrorDir,
    '--cache-dir',
    join(source, '.download-cache'),
  ];

  it('refuses a directory in include_files, which buildpack-packager would zip empty', async () => {
    const source = await sourceWith((m) => {
      m.include_files = ['bin/detect', 'bin/supply', 'dist/runtime', 'manifest.yml'];
    });
    const result = await packageSh(['--source', source, '--output', await tempDir('out-')]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `**ERROR** manifest.yml: include_files[2]: "dist/runtime" is a directory: Cloud Foundry's buildpack-packager zips only its directory entry, not the files in it`,
    );
    expect(result.stdout).toContain(
      'list each file instead (dist/runtime/cf-metadata.sh, dist/runtime/credentials.sh',
    );
  });

  it('refuses include_files without a run-time script staging copies into the droplet', async () => {
    const source = await sourceWith((m) => {
      m.include_files = (m.include_files as string[]).filter(
        (f) => f !== 'dist/runtime/launch-yml-reader.sh',
      );
    });
    const result = await packageSh(['--source', source, '--output', await tempDir('out-')]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      '**ERROR** manifest.yml: include_files: include_files lacks dist/runtime/launch-yml-reader.sh',
    );
  });

  it('the repository manifest lists every file of dist/ the buildpack runs', async () => {
    const manifest = parse(await readFile(join(REPO_ROOT, 'manifest.yml'), 'utf8')) as BuildpackManifest;
    const shipped = (await readdir(join(REPO_ROOT, 'dist', 'runtime'))).map((f) => `dist/runtime/${f}`);
    expect(manifest.include_files).toEqual(expect.arrayContaining(shipped));
    for (const entry of manifest.include_files ?? [])
      expect((await stat(join(REPO_ROOT, entry))).isFile(), entry).toBe(true);
  });

  it('keeps every top-level manifest key, runs pre_package, and leaves out a profile’s dependencies', async () => {
    const source = await sourceWith((m) => {
      m.packaging_profiles = { bare: { description: 'the runtime only', exclude: ['config-server'] } };
      m.x_operator_note = { keep: 'me' };
      m.pre_package = 'scripts/pre-package.sh';
      m.include_files = [...(m.include_files as string[]), 'GENERATED'];
    });
    await mkdir(join(source, 'scripts'), { recursive: true });
    await writeFile(
      join(source, 'scripts', 'pre-package.sh'),
      '#!/usr/bin/env bash\necho "pre_package ran in $PWD"\necho generated > GENERATED\n',
      { mode: 0o755 },
    );
    const { zip, name, result } = await packaged([...cachedArgs(source), '--profile', 'bare']);
    expect(name).toBe(`sidecar_buildpack-cached-bare-cflinuxfs4-v${VERSION}.zip`);
    expect(result.stdout).toContain('Leaving out: config-server');
    expect(result.stdout).toContain(`pre_package ran in ${source}`);
    const unpacked = await unzipped(zip);
    expect(await readFile(join(unpacked, 'GENERATED'), 'utf8')).toBe('generated\n');
    const packagedManifest = parse(await readFile(join(unpacked, 'manifest.yml'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(packagedManifest.x_operator_note).toEqual({ keep: 'me' });
    expect(packagedManifest.packaging_profiles).toEqual({
      bare: { description: 'the runtime only', exclude: ['config-server'] },
    });
    expect(Object.keys(packagedManifest).slice(0, 2)).toEqual(['language', 'stack']);
    const deps = packagedManifest.dependencies as ManifestDependency[];
    expect(deps.map((d) => d.name)).toEqual(['node']);
    expect((await readdir(join(unpacked, 'dependencies'))).length).toBe(1);
  });

  it('names the zip -custom for --exclude alone, and stops on a failing pre_package', async () => {
    const { name } = await packaged([...cachedArgs(mirroredSource), '--exclude', 'config-server']);
    expect(name).toBe(`sidecar_buildpack-cached-custom-cflinuxfs4-v${VERSION}.zip`);
    const source = await sourceWith((m) => {
      m.pre_package = 'scripts/fail.sh';
    });
    await mkdir(join(source, 'scripts'), { recursive: true });
    await writeFile(
      join(source, 'scripts', 'fail.sh'),
      '#!/usr/bin/env bash\necho "cannot build"\nexit 3\n',
      {
        mode: 0o755,
      },
    );
    const output = await tempDir('out-');
    const result = await packageSh(['--source', source, '--output', output]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      '**ERROR** manifest.yml: pre_package: pre_package "scripts/fail.sh" failed: exit status 3',
    );
    expect(result.stdout).toContain('cannot build');
    await mkdir(output, { recursive: true });
    expect(await readdir(output)).toEqual([]);
  });

  it('refuses --exclude on an online zip, as buildpack-packager does', async () => {
    const result = await packageSh(['--source', mirroredSource, '--exclude', 'config-server']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('--profile, --exclude and --include apply only to --cached zips');
  });
});
