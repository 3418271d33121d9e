/**
 * cf-local's readers of launch.yml and config.yml against what the real builder read from the
 * same files (cf-contract section 7, measured with the lifecycle built from source): yaml.v2,
 * YAML 1.1, into Go structs.
 */
import { describe, expect, it } from 'vitest';
import { resultJson } from '../../tools/cf-local/app-record.js';
import { keyDigest } from '../../tools/cf-local/staging/buildpack-dir.js';
import { parseDepsConfig, parseLaunchYml } from '../../tools/cf-local/staging/lifecycle-yaml.js';

const sidecar = (memory: string) =>
  `processes:\n- type: s\n  command: x\n  platforms:\n    cloudfoundry:\n      sidecar_for: [web]\n  limits:\n    memory: ${memory}\n`;
const memoryOf = (memory: string) => parseLaunchYml(sidecar(memory)).processes[0]?.limits?.memory;

describe('launch.yml and config.yml, read as the lifecycle reads them', () => {
  it.each([
    ['0100', 64],
    ['64.7', 64],
    ['1_000', 1000],
    ['256', 256],
  ])('reads memory: %s as %d', (text, mb) => {
    expect(memoryOf(text)).toBe(mb);
  });

  it.each(['64M', "'64'"])('fails on memory: %s, which is not an int', (text) => {
    expect(() => memoryOf(text)).toThrow(/cannot unmarshal !!str `64M?` into int/);
  });

  it('takes the last of duplicate keys, and resolves aliases', () => {
    const text = 'processes:\n- type: a\n  type: b\n  command: &c run it\n- type: c\n  command: *c\n';
    expect(parseLaunchYml(text).processes).toEqual([
      { type: 'b', command: 'run it' },
      { type: 'c', command: 'run it' },
    ]);
  });

  it('reads config.yml version: 2.0 as the text "2.0"', () => {
    expect(parseDepsConfig('name: x\nversion: 2.0\n')).toEqual({ name: 'x', version: '2.0' });
  });
});

describe('result.json in the lifecycle’s shape', () => {
  it('leaves sidecars out when there are none and names every buildpack, "" without config.yml', () => {
    const base = {
      lifecycle_type: 'buildpack' as const,
      lifecycle_metadata: {
        buildpack_key: 'b',
        detected_buildpack: '',
        buildpacks: [{ key: 'a' }, { key: 'b', name: 'binary' }],
      },
      process_types: { web: 'x' },
      processes: [{ type: 'web', command: 'x' }],
      execution_metadata: '',
    };
    const json = resultJson({ ...base, sidecars: [] });
    expect('sidecars' in json).toBe(false);
    expect(json.lifecycle_metadata.buildpacks).toEqual([
      { key: 'a', name: '' },
      { key: 'b', name: 'binary' },
    ]);
    const sidecars = [{ name: 's', process_types: ['web'], command: 'c', memory: 8 }];
    expect(resultJson({ ...base, sidecars }).sidecars).toEqual(sidecars);
  });
});

describe('supply cache dir names', () => {
  // Values of Go's github.com/cespare/xxhash/v2 Sum64String, printed %016x as the lifecycle does.
  it.each([
    ['abc', '44bc2cf5ad770999'],
    ['', 'ef46db3751d8e999'],
    ['/tmp/bp', '85fccd57c82e0a7f'],
    ['https://github.com/cloudfoundry/binary-buildpack.git', 'a56c06e83aeea206'],
    ['a-key-that-is-longer-than-thirty-two-bytes-for-stripes-0123456789', '0d880304023af34d'],
  ])('names the cache of buildpack %j %s, as the lifecycle does', (key, hex) => {
    expect(keyDigest(key)).toBe(hex);
  });
});
