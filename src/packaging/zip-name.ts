/**
 * The buildpack zip's file name, in the Cloud Foundry convention (cf-contract section 5):
 * `<language>_buildpack[-cached][-<stack>]-v<version>.zip`, e.g.
 * `sidecar_buildpack-cached-cflinuxfs4-v1.0.0.zip`. Operators and release tooling recognise the
 * flavour and stack from the name alone, so it must follow the convention exactly.
 */
export interface ZipNameParts {
  language: string;
  cached: boolean;
  /** Absent for an any-stack zip. */
  stack?: string;
  version: string;
}

export function zipName({ language, cached, stack, version }: ZipNameParts): string {
  const parts = [`${language}_buildpack`];
  if (cached) parts.push('cached');
  if (stack) parts.push(stack);
  return `${parts.join('-')}-v${version}.zip`;
}
