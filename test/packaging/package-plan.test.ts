/** The pure rules of what a zip holds: stack filtering, manifest rewrite, md5 paths, zip names. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BuildpackManifest, ManifestDependency } from '../../src/dependencies/manifest-types.js';
import { UserError } from '../../src/errors.js';
import { planPackage } from '../../src/packaging/package-plan.js';
import { packagedPath } from '../../src/packaging/packaged-path.js';
import { zipName } from '../../src/packaging/zip-name.js';

const sha = (c: string) => c.repeat(64);
const dep = (name: string, uri: string, cf_stacks: string[]): ManifestDependency => ({
  name,
  version: '1.0.0',
  uri,
  sha256: sha('a'),
  cf_stacks,
});
const manifest: BuildpackManifest = {
  language: 'sidecar',
  default_versions: [{ name: 'node', version: '22.x' }],
  dependency_deprecation_dates: [],
  dependencies: [
    dep('node', 'https://example.invalid/node_fs4.tgz', ['cflinuxfs4']),
    dep('node', 'https://example.invalid/node_fs5.tgz', ['cflinuxfs5']),
    dep('otelcol', 'https://example.invalid/otelcol.tar.gz', ['cflinuxfs4', 'cflinuxfs5']),
  ],
  include_files: ['bin/supply'],
};

describe('planPackage', () => {
  it('leaves an online any-stack manifest untouched and downloads nothing', () => {
    expect(planPackage(manifest, { cached: false })).toEqual({ downloads: [], excluded: [], custom: false });
  });

  it('keeps only the stack’s dependencies, drops cf_stacks and adds stack: right after language:', () => {
    const plan = planPackage(manifest, { cached: false, stack: 'cflinuxfs5' });
    expect(Object.keys(plan.manifest ?? {}).slice(0, 2)).toEqual(['language', 'stack']);
    expect(plan.manifest?.stack).toBe('cflinuxfs5');
    expect(plan.manifest?.dependencies.map((d) => d.uri)).toEqual([
      'https://example.invalid/node_fs5.tgz',
      'https://example.invalid/otelcol.tar.gz',
    ]);
    expect(plan.manifest?.dependencies.some((d) => 'cf_stacks' in d)).toBe(false);
    // The online zip for a stack carries only the Node runtime, unpacked; sidecars download.
    expect(plan.manifest?.dependencies.map((d) => d.file)).toEqual([
      `dependencies/node-runtime/1.0.0-${'a'.repeat(12)}/bin/node`,
      undefined,
    ]);
    expect(plan.downloads.map((d) => [d.dependency.name, d.path, d.unpackRuntime])).toEqual([
      ['node', plan.manifest?.dependencies[0]?.file, true],
    ]);
  });

  it('gives every dependency of a cached zip a file: key at dependencies/<md5 of uri>/<basename>, the runtime its unpacked bin/node', () => {
    const plan = planPackage(manifest, { cached: true, stack: 'cflinuxfs4' });
    const uri = 'https://example.invalid/otelcol.tar.gz';
    const expected = `dependencies/${createHash('md5').update(uri).digest('hex')}/otelcol.tar.gz`;
    expect(plan.manifest?.dependencies[1]).toMatchObject({ uri, file: expected });
    expect(plan.manifest?.dependencies[0]?.file).toMatch(
      /^dependencies\/node-runtime\/[^/]+-[0-9a-f]{12}\/bin\/node$/,
    );
    expect(plan.downloads.map((d) => d.path)).toEqual(plan.manifest?.dependencies.map((d) => d.file));
    expect(plan.downloads).toHaveLength(2);
  });

  it('keeps cf_stacks and every stack’s dependency in a cached any-stack zip', () => {
    const plan = planPackage(manifest, { cached: true });
    expect(plan.manifest?.stack).toBeUndefined();
    expect(plan.manifest?.dependencies.map((d) => d.cf_stacks)).toEqual(
      manifest.dependencies.map((d) => d.cf_stacks),
    );
    expect(plan.downloads).toHaveLength(3);
  });

  it('drops a query string from the basename, as the bin/ shims do', () => {
    expect(packagedPath('https://h/x/agent.tgz?token=1')).toMatch(/^dependencies\/[0-9a-f]{32}\/agent\.tgz$/);
  });

  describe('failure cases', () => {
    it('refuses an unknown stack and lists the known ones', () => {
      const error = catchError(() => planPackage(manifest, { cached: false, stack: 'cflinuxfs9' }));
      expect(error.message).toContain('unknown stack "cflinuxfs9"');
      expect(error.details.hint).toContain('cflinuxfs4, cflinuxfs5');
    });

    it('refuses a cached zip without a node runtime for its stack', () => {
      const noNode = {
        ...manifest,
        dependencies: manifest.dependencies.filter((d) => d.uri !== 'https://example.invalid/node_fs5.tgz'),
      };
      expect(catchError(() => planPackage(noNode, { cached: true, stack: 'cflinuxfs5' })).message).toContain(
        'no "node" dependency for stack cflinuxfs5',
      );
      expect(() => planPackage(noNode, { cached: false, stack: 'cflinuxfs5' })).not.toThrow();
    });
  });
});

describe('zipName', () => {
  it('follows <language>_buildpack[-cached][-<stack>]-v<version>.zip', () => {
    expect(zipName({ language: 'sidecar', cached: true, stack: 'cflinuxfs4', version: '1.0.0' })).toBe(
      'sidecar_buildpack-cached-cflinuxfs4-v1.0.0.zip',
    );
    expect(zipName({ language: 'sidecar', cached: false, version: '1.0.0' })).toBe(
      'sidecar_buildpack-v1.0.0.zip',
    );
    expect(zipName({ language: 'sidecar', cached: false, stack: 'cflinuxfs5', version: '2.1.0-rc.1' })).toBe(
      'sidecar_buildpack-cflinuxfs5-v2.1.0-rc.1.zip',
    );
  });
});

function catchError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('leaving dependencies out of a cached zip (as buildpack-packager)', () => {
  const profiled: BuildpackManifest = {
    ...manifest,
    dependencies: [
      ...manifest.dependencies,
      dep('agent', 'https://example.invalid/agent.tgz', ['cflinuxfs4']),
    ],
    packaging_profiles: { minimal: { description: 'node only', exclude: ['otelcol', 'agent'] } },
  };
  const kept = (request: Parameters<typeof planPackage>[1]) =>
    planPackage(profiled, request).manifest?.dependencies.map((d) => d.name);

  it('leaves out a profile’s dependencies, from the downloads and from the manifest', () => {
    const plan = planPackage(profiled, { cached: true, stack: 'cflinuxfs4', profile: 'minimal' });
    expect(plan.manifest?.dependencies.map((d) => d.name)).toEqual(['node']);
    expect(plan.downloads.map((d) => d.dependency.name)).toEqual(['node']);
    expect([plan.excluded, plan.custom]).toEqual([['agent', 'otelcol'], false]);
  });

  it('adds --exclude to the profile and takes --include back out of it', () => {
    expect(kept({ cached: true, stack: 'cflinuxfs4', exclude: ['agent'] })).toEqual(['node', 'otelcol']);
    const plan = planPackage(profiled, { cached: true, profile: 'minimal', include: ['agent'] });
    expect([plan.excluded, plan.custom]).toEqual([['otelcol'], true]);
  });

  it('refuses an unknown profile or name, an --include that changes nothing, and leaving out node', () => {
    const fails = (request: Parameters<typeof planPackage>[1]) => {
      try {
        planPackage(profiled, request);
      } catch (error) {
        expect(error).toBeInstanceOf(UserError);
        return (error as UserError).describe();
      }
      throw new Error('expected a UserError');
    };
    expect(fails({ cached: true, profile: 'tiny' })).toBe(
      'manifest.yml: packaging_profiles: packaging profile "tiny" is not in manifest.yml',
    );
    expect(fails({ cached: true, profile: 'Bad Name' })).toContain('profile name "Bad Name" is invalid');
    expect(fails({ cached: true, exclude: ['otelcoll'] })).toBe(
      'manifest.yml: dependencies: --exclude names "otelcoll", which is not a dependency of manifest.yml',
    );
    expect(fails({ cached: true, profile: 'minimal', include: ['node'] })).toContain(
      '--include "node" has no effect',
    );
    expect(fails({ cached: true, exclude: ['node'] })).toContain('"node" cannot be left out of a cached zip');
  });

  it('names the zip as buildpack-packager does', () => {
    const base = { language: 'sidecar', cached: true, stack: 'cflinuxfs4', version: '1.0.0' };
    expect(zipName({ ...base, profile: 'minimal' })).toBe(
      'sidecar_buildpack-cached-minimal-cflinuxfs4-v1.0.0.zip',
    );
    expect(zipName({ ...base, profile: 'minimal', custom: true })).toBe(
      'sidecar_buildpack-cached-minimal+custom-cflinuxfs4-v1.0.0.zip',
    );
    expect(zipName({ ...base, custom: true })).toBe('sidecar_buildpack-cached-custom-cflinuxfs4-v1.0.0.zip');
  });
});
