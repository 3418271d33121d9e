// Bundles src/cli.ts into dist/sidecar-buildpack.cjs, the one file the bin/ shims run.
// CommonJS starts faster than an ESM graph and needs no loader; the output is committed so that
// `cf push -b <git url>` works without a build step (CI checks it is current).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/sidecar-buildpack.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
