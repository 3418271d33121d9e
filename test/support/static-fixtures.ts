/**
 * The tutorial's app and config-server as static binaries (fixtures/static/, Go), built once per
 * test process with CGO_ENABLED=0: apps that run on the stack as it is, where python3, which the
 * other fixtures borrow from the host, does not exist.
 */
import { execa } from 'execa';
import { join } from 'node:path';
import { FIXTURES } from './buildpack.js';
import { tempDir } from './tmp.js';

export interface StaticFixtures {
  app: string;
  configServer: string;
}

let built: Promise<StaticFixtures> | undefined;

export function staticFixtures(): Promise<StaticFixtures> {
  built ??= (async () => {
    const out = await tempDir('static-fixtures-');
    const env = { CGO_ENABLED: '0', GO111MODULE: 'off', GOCACHE: join(out, 'gocache'), GOFLAGS: '-trimpath' };
    const paths = { app: join(out, 'app'), configServer: join(out, 'config-server') };
    await execa('go', ['build', '-o', paths.app, '.'], { cwd: join(FIXTURES, 'static', 'app'), env });
    await execa('go', ['build', '-o', paths.configServer, '.'], {
      cwd: join(FIXTURES, 'static', 'config-server'),
      env,
    });
    return paths;
  })();
  return built;
}
