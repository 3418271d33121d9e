// Bundles src/cli.ts into dist/sidecar-buildpack.cjs, the staging code the bin/ shims run
// (through dist/start.cjs, which keeps a code cache of it).
// CommonJS starts faster than an ESM graph and needs no loader; the output is committed so that
// `cf push -b <git url>` works without a build step (CI checks it is current).
// It also copies the run-time bash of src/runtime/*.sh to dist/runtime/: what supply puts into the
// droplet ships from dist/ like the bundle (manifest.yml include_files), sources stay out of zips.
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
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

// dist/start.cjs, what the shims run: the bundle from a V8 code cache keyed by its sha256.
const bundleSha256 = createHash('sha256')
  .update(await readFile('dist/sidecar-buildpack.cjs'))
  .digest('hex');
await build({
  entryPoints: ['src/start.ts'],
  outfile: 'dist/start.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  define: { BUNDLE_SHA256: JSON.stringify(bundleSha256) },
  logLevel: 'warning',
});

await rm('dist/runtime', { recursive: true, force: true });
await mkdir('dist/runtime', { recursive: true });
for (const file of (await readdir('src/runtime')).filter((f) => f.endsWith('.sh')).sort()) {
  await copyFile(`src/runtime/${file}`, `dist/runtime/${file}`);
  await chmod(`dist/runtime/${file}`, 0o755);
}
