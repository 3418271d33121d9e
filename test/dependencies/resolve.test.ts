import { describe, expect, it } from 'vitest';
import type { BuildpackManifest, ManifestDependency } from '../../src/dependencies/manifest-types.js';
import { resolveDependency } from '../../src/dependencies/resolve.js';

const dep = (version: string, stacks = ['cflinuxfs4']): ManifestDependency => ({
  name: 'agent',
  version,
  uri: `https://example.com/agent-${version}.tgz`,
  sha256: '0'.repeat(64),
  cf_stacks: stacks,
});

const manifest = (extra: Partial<BuildpackManifest> = {}): BuildpackManifest => ({
  language: 'sidecar',
  default_versions: [],
  dependency_deprecation_dates: [],
  dependencies: [dep('1.2.3'), dep('1.2.5'), dep('1.3.0'), dep('2.0.0', ['cflinuxfs5'])],
  ...extra,
});

const NOW = new Date('2026-11-23T00:00:00Z');

describe('resolveDependency', () => {
  it.each([
    ['1.x', '1.3.0'],
    ['1.2.x', '1.2.5'],
    ['1.2.3', '1.2.3'],
    ['latest', '1.3.0'],
    [undefined, '1.3.0'],
  ])('picks the highest match of %j on the stack', (pattern, version) => {
    expect(resolveDependency(manifest(), 'agent', pattern, 'cflinuxfs4', NOW).dependency.version).toBe(
      version,
    );
  });

  it('uses default_versions when the app names no version', () => {
    const m = manifest({ default_versions: [{ name: 'agent', version: '1.2.x' }] });
    expect(resolveDependency(m, 'agent', undefined, 'cflinuxfs4', NOW).dependency.version).toBe('1.2.5');
  });

  it('honours a stack-specific manifest (top-level stack, no cf_stacks)', () => {
    const bare = { ...dep('3.0.0') };
    delete bare.cf_stacks;
    const m = manifest({ stack: 'cflinuxfs4', dependencies: [bare] });
    expect(resolveDependency(m, 'agent', undefined, 'cflinuxfs4', NOW).dependency.version).toBe('3.0.0');
    expect(() => resolveDependency(m, 'agent', undefined, 'cflinuxfs5', NOW)).toThrow(
      /no build for stack cflinuxfs5/,
    );
  });

  it('warns when a newer patch of the pinned version is available', () => {
    const { warnings } = resolveDependency(manifest(), 'agent', '1.2.3', 'cflinuxfs4', NOW);
    expect(warnings).toEqual([
      expect.stringContaining('A newer version of agent is available in this buildpack: 1.2.5'),
    ]);
  });

  it('warns about a deprecation date within 30 days, and not before', () => {
    const m = manifest({
      dependency_deprecation_dates: [
        { name: 'agent', version_line: '1.x.x', date: '2026-12-10', link: 'https://e.com/eol' },
      ],
    });
    expect(resolveDependency(m, 'agent', '1.x', 'cflinuxfs4', NOW).warnings).toEqual([
      'agent 1.x.x is deprecated on 2026-12-10, in 17 days (https://e.com/eol)',
    ]);
    expect(
      resolveDependency(m, 'agent', '1.x', 'cflinuxfs4', new Date('2026-10-01T00:00:00Z')).warnings,
    ).toEqual([]);
  });

  describe('failure cases', () => {
    it('lists the versions available when none matches', () => {
      expect(() => resolveDependency(manifest(), 'agent', '3.x', 'cflinuxfs4', NOW)).toThrow(
        'no version of dependency "agent" matches "3.x" on cflinuxfs4 (available: 1.2.3, 1.2.5, 1.3.0)',
      );
    });

    it('lists the dependencies offered when the name is unknown', () => {
      expect(() => resolveDependency(manifest(), 'agnet', undefined, 'cflinuxfs4', NOW)).toThrow(
        'dependency "agnet" is not in this buildpack (it offers: agent)',
      );
    });
  });
});
