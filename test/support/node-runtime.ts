/**
 * A stand-in for the Cloud Foundry node runtime tarball (../shared/data/cf-node-runtimes.yml):
 * same layout (`bin/node` at the root), but `bin/node` is a tiny wrapper that execs the node
 * running the tests, so the tarball is a few hundred bytes instead of 30 MB. The wrapper is a
 * real executable, so a shim that bootstraps it and runs the bundle exercises the real path.
 */
import { join } from 'node:path';
import { makeArchive, sha256File } from './archives.js';
import { tempDir } from './tmp.js';

export interface NodeRuntimeTarball {
  path: string;
  sha256: string;
  /** The version the wrapper reports, written in manifest.yml entries. */
  version: string;
}

export async function makeNodeRuntimeTarball(version = '22.23.1'): Promise<NodeRuntimeTarball> {
  const dir = await tempDir('node-runtime-');
  const path = join(dir, `node_${version}_linux_x64_cflinuxfs4_test.tgz`);
  const wrapper = `#!/bin/sh\n# stand-in node ${version}\nexec ${JSON.stringify(process.execPath)} "$@"\n`;
  await makeArchive(path, { 'bin/node': { content: wrapper, mode: 0o755 }, LICENSE: 'test' }, 'tgz');
  return { path, sha256: await sha256File(path), version };
}
