/**
 * What the bin/ shims start in every phase: it runs the staging bundle,
 * dist/sidecar-buildpack.cjs, from a V8 code cache of all the code the phase compiled last time.
 *
 * Node's own compile cache (NODE_COMPILE_CACHE) is made right after a script is compiled, so it
 * holds only the bundle's top level: every function compiled lazily, on its first call (the yaml
 * parser, node-tar, semver, our phases), was compiled again in every phase, about 40 ms of the
 * 200 ms a small sidecar's supply took (bench items 1 and 4). A cache made at exit holds them all.
 *
 * Built to dist/start.cjs on its own (scripts/build.mjs), with the bundle's sha256 compiled in:
 * V8 checks a cache against the source's length only, so the file name carries the hash, the
 * node version and the phase (each phase compiles different code). A missing or rejected cache
 * is written at exit, atomically; without $SIDECAR_CODE_CACHE the bundle is simply required.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

declare const BUNDLE_SHA256: string;

const bundle = join(__dirname, 'sidecar-buildpack.cjs');
const cacheDir = process.env.SIDECAR_CODE_CACHE;
const load = createRequire(bundle);

if (cacheDir) runCached(cacheDir);
else load(bundle);

function runCached(dir: string): void {
  const phase = (process.argv[2] ?? '').replace(/[^a-z]/g, '') || 'none';
  const name = `bundle-${BUNDLE_SHA256.slice(0, 16)}-${process.version}-${phase}.v8`;
  const file = join(dir, name);
  const source = readFileSync(bundle, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(file);
  } catch {
    cachedData = undefined;
  }
  // The wrapper node puts around a CommonJS module, so the bundle runs exactly as when required.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapped, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  if (!cachedData || script.cachedDataRejected) process.once('exit', () => save(script, dir, name, phase));
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports,
    load,
    module,
    bundle,
    dirname(bundle),
  );
}

/** Best effort: a read-only or full disk only means the next phase compiles again. */
function save(script: Script, dir: string, name: string, phase: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const temp = join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, join(dir, name));
    // This phase's caches of other bundles or node versions are never read again.
    for (const old of readdirSync(dir))
      if (old !== name && old.startsWith('bundle-') && old.endsWith(`-${phase}.v8`))
        rmSync(join(dir, old), { force: true });
  } catch {
    // nothing to do: the cache is an optimisation
  }
}
