/**
 * Where a cached zip stores a dependency: `dependencies/<md5 of uri>/<basename of uri>`
 * (libbuildpack's layout, cf-contract section 5). The bin/ shims compute the same path in bash
 * (`md5sum` of the uri, `basename "${uri%%\?*}"`) to find the offline Node runtime when a manifest
 * has no `file:` key, so the two must agree: the md5 is of the uri string exactly as written in
 * manifest.yml, and the basename is its last `/` segment with any query string dropped.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';

export function packagedPath(uri: string): string {
  const md5 = createHash('md5').update(uri).digest('hex');
  return posix.join('dependencies', md5, uriBasename(uri));
}

/** The last `/` segment of a uri without its query: `https://host/a/node_22.tgz?x=1` -> `node_22.tgz`. */
export function uriBasename(uri: string): string {
  const path = uri.split('?', 1)[0] ?? uri;
  return path.slice(path.lastIndexOf('/') + 1);
}
