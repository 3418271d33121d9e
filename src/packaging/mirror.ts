/**
 * A dependency mirror for air-gapped and test builds: a local directory or a URL prefix that
 * serves each dependency under the basename of its manifest uri. manifest.yml is not edited, so
 * the packaged md5 paths and `file:` keys stay those of the real uris; only where the bytes come
 * from changes, and the sha256 in manifest.yml is checked all the same.
 *
 *   --mirror /srv/buildpack-deps       reads /srv/buildpack-deps/node_22.23.1_linux_x64_cflinuxfs4_1bd9c039.tgz
 *   --mirror https://mirror.corp/deps  fetches https://mirror.corp/deps/node_22.23.1_linux_x64_cflinuxfs4_1bd9c039.tgz
 */
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { ManifestDependency } from '../dependencies/manifest-types.js';
import { uriBasename } from './packaged-path.js';

export type Mirror = { kind: 'directory'; path: string } | { kind: 'url'; prefix: string };

/** Where to read one dependency's bytes from. */
export type Source = { kind: 'file'; path: string } | { kind: 'url'; url: string; mirror?: string };

/** `--mirror` / `$SIDECAR_BUILDPACK_MIRROR`: an http(s) URL is a prefix, anything else a directory. */
export function parseMirror(value: string, cwd: string): Mirror {
  if (/^https?:\/\//i.test(value)) return { kind: 'url', prefix: value.replace(/\/+$/, '') };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new UserError(`mirror "${value}" is neither an http(s) URL nor a directory`, {
      hint: 'give a directory path or an http:// or https:// prefix',
    });
  }
  return { kind: 'directory', path: isAbsolute(value) ? value : resolve(cwd, value) };
}

/** Where the bytes of `dependency` come from: the mirror if one is set, else its own uri. */
export function sourceFor(dependency: ManifestDependency, mirror: Mirror | undefined): Source {
  const name = uriBasename(dependency.uri);
  if (!mirror) return { kind: 'url', url: dependency.uri };
  return mirror.kind === 'directory'
    ? { kind: 'file', path: join(mirror.path, name) }
    : { kind: 'url', url: `${mirror.prefix}/${name}`, mirror: mirror.prefix };
}

/**
 * A mirror is addressed by basename, so two different uris with the same basename would fetch the
 * same file and one of them would fail its checksum; say so up front, naming both.
 */
export function assertDistinctBasenames(dependencies: ManifestDependency[]): void {
  const seen = new Map<string, string>();
  for (const d of dependencies) {
    const name = uriBasename(d.uri);
    const other = seen.get(name);
    if (other !== undefined && other !== d.uri) {
      throw new UserError(
        `two dependencies share the file name "${name}" (${other} and ${d.uri}), so a mirror cannot serve both`,
        {
          file: 'manifest.yml',
          hint: 'package without --mirror, or give one of the artifacts another file name',
        },
      );
    }
    seen.set(name, d.uri);
  }
}
