/**
 * The buildpack zip's file name, in the Cloud Foundry convention (cf-contract section 5):
 * `<language>_buildpack[-cached][-<profile>][-<stack>]-v<version>.zip`, e.g.
 * `sidecar_buildpack-cached-cflinuxfs4-v1.0.0.zip`. Operators and release tooling recognise the
 * flavour and stack from the name alone, so it must follow the convention exactly. As
 * buildpack-packager names a zip with dependencies left out: `-<profile>`, `-<profile>+custom`
 * when --exclude or --include changed the profile's set, `-custom` for --exclude alone.
 */
export interface ZipNameParts {
  language: string;
  cached: boolean;
  /** Absent for an any-stack zip. */
  stack?: string;
  version: string;
  /** The packaging profile, and whether --exclude/--include changed its set. */
  profile?: string;
  custom?: boolean;
}

export function zipName({ language, cached, stack, version, profile, custom }: ZipNameParts): string {
  const parts = [`${language}_buildpack`];
  if (cached) parts.push('cached');
  if (profile) parts.push(custom ? `${profile}+custom` : profile);
  else if (custom) parts.push('custom');
  if (stack) parts.push(stack);
  return `${parts.join('-')}-v${version}.zip`;
}
