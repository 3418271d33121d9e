/** planSidecars: what each sidecar becomes before anything is fetched. */
import { describe, expect, it } from 'vitest';
import { parseSidecarsDocument } from '../../src/config/parse.js';
import type { BuildpackManifest } from '../../src/dependencies/manifest-types.js';
import { sidecarCommand } from '../../src/launch/launch-config.js';
import { planSidecars } from '../../src/phases/plan-sidecars.js';

const MANIFEST: BuildpackManifest = {
  language: 'sidecar',
  default_versions: [],
  dependency_deprecation_dates: [],
  dependencies: [],
};

function plan(yaml: string) {
  const doc = parseSidecarsDocument(yaml, 'sidecars.yml');
  return planSidecars({ ...doc, sources: ['sidecars.yml'] }, MANIFEST, 'cflinuxfs4', new Date(), '0');
}

const uriSidecar = (command: string, env = '') =>
  `sidecars:\n  - name: agent\n    uri: https://e.com/agent\n    sha256: ${'a'.repeat(64)}\n    memory: 64M\n    command: ${JSON.stringify(command)}\n${env}`;

describe('planSidecars', () => {
  it('keeps a command of 4096 characters whose launch command still fits', () => {
    const wrapper = sidecarCommand('0', {
      name: 'agent',
      command: '',
      processTypes: ['web'],
      memoryMb: 64,
      env: {},
    });
    const room = 4096 - wrapper.length;
    expect(plan(uriSidecar('x'.repeat(room))).sidecars[0]?.command).toHaveLength(room);
  });

  describe('failure cases', () => {
    it('refuses a command that Cloud Controller would refuse once the install dir and env are in front', () => {
      expect(() =>
        plan(uriSidecar('x'.repeat(4000), '    env:\n      BIG: ' + 'v'.repeat(100) + '\n')),
      ).toThrow(
        /with the install dir, env and supervisor in front, the launch command is 42\d\d characters; Cloud Controller allows at most 4096/,
      );
    });
  });
});
