/** The packager's small pure parts: argument parsing, progress lines, the launch.yml check. */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { checkLaunchYml } from '../../src/packaging/check-launch.js';
import { downloadProgress } from '../../src/dependencies/download-progress.js';
import { parsePackageArgs } from '../../src/packaging/package-args.js';

describe('parsePackageArgs', () => {
  it('reads the packager flags, with the mirror and cache from the env when no flag gives them', () => {
    expect(
      parsePackageArgs(['--cached', '--stack', 'cflinuxfs4', '--version=1.2.3'], {
        SIDECAR_BUILDPACK_MIRROR: '/srv/m',
        SIDECAR_BUILDPACK_CACHE: '',
      }),
    ).toEqual({
      command: 'package',
      cached: true,
      stack: 'cflinuxfs4',
      version: '1.2.3',
      output: undefined,
      mirror: '/srv/m',
      cacheDir: undefined,
      source: undefined,
      exclude: [],
      include: [],
    });
    expect(
      parsePackageArgs(
        ['--cached', '--profile', 'bare', '--exclude', 'a,b', '--exclude=c', '--include', 'd'],
        {},
      ),
    ).toMatchObject({ profile: 'bare', exclude: ['a', 'b', 'c'], include: ['d'] });
    expect(parsePackageArgs(['--mirror', 'http://m'], { SIDECAR_BUILDPACK_MIRROR: '/srv/m' })).toMatchObject({
      mirror: 'http://m',
    });
  });

  it('reads --verify with its own flags', () => {
    expect(parsePackageArgs(['--verify', 'x.zip', '--offline'], {})).toEqual({
      command: 'verify',
      zip: 'x.zip',
      app: undefined,
      stack: undefined,
      offline: true,
    });
  });

  describe('failure cases', () => {
    it.each([
      [['--stack', 'cflinuxfs4', '--any-stack'], '--stack and --any-stack exclude each other'],
      [['--stack'], '--stack needs a value'],
      [['--stack', '--cached'], '--stack needs a value'],
      [['--verify', 'x.zip', '--cached'], '--cached does not apply to --verify'],
      [['--exclude', 'otelcol'], '--profile, --exclude and --include apply only to --cached zips'],
      [['--cached', '--include', 'otelcol'], '--include needs --profile'],
      [['--cached', '--exclude'], '--exclude needs a comma-separated list of dependency names'],
      [['--verify', 'x.zip', '--exclude', 'a'], '--exclude does not apply to --verify'],
      [['--offline'], '--offline applies only to --verify'],
      [['--frobnicate'], 'unknown argument "--frobnicate"'],
    ])('refuses %j', (argv, message) => {
      expect(() => parsePackageArgs(argv, {})).toThrow(UserError);
      expect(() => parsePackageArgs(argv, {})).toThrow(message);
    });
  });
});

describe('downloadProgress', () => {
  it('prints at most one line per interval, with the share of the total when known and the rate', () => {
    let now = 0;
    const lines: string[] = [];
    const report = downloadProgress('node 22.23.1', (l) => lines.push(l), {
      intervalMs: 2000,
      now: () => now,
    });
    report(1024, 4 * 1024 * 1024);
    now = 2500;
    report(1024 * 1024, 4 * 1024 * 1024);
    now = 3000;
    report(2 * 1024 * 1024, 4 * 1024 * 1024);
    now = 5000;
    report(3 * 1024 * 1024, undefined);
    expect(lines).toEqual([
      'node 22.23.1: 1.0 MB of 4.0 MB (25%), 409.6 KB/s',
      'node 22.23.1: 3.0 MB, 614.4 KB/s',
    ]);
  });
});

describe('checkLaunchYml', () => {
  const sidecar = (memory: unknown, command = '"$DEPS_DIR/0/sidecars/a/run"') =>
    `processes:\n- type: a\n  command: ${JSON.stringify(command)}\n  platforms: {cloudfoundry: {sidecar_for: [web]}}\n  limits: {memory: ${JSON.stringify(memory)}}\n`;

  it('accepts a sidecar with an integer memory and a $DEPS_DIR command', () => {
    expect(checkLaunchYml(sidecar(64), '/tmp/x/deps').problems).toEqual([]);
  });

  it('rejects what the lifecycle or Cloud Controller would reject', () => {
    expect(checkLaunchYml(sidecar('256M'), '/tmp/x/deps').problems).toEqual([
      'processes[0].limits.memory must be a whole number of MB > 0, got "256M"',
    ]);
    expect(checkLaunchYml(sidecar(64, '/tmp/x/deps/0/sidecars/a/run'), '/tmp/x/deps').problems[0]).toContain(
      'contains the staging path /tmp/x/deps',
    );
    expect(checkLaunchYml('processes: []\n', '/d').problems).toEqual(['launch.yml has no processes']);
  });
});
