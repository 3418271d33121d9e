/**
 * The buildpack's own manifest.yml, in the libbuildpack format (cf-contract section 5), plus one
 * key of ours: `sidecar_defaults`, the command/memory/process types a dependency runs with when
 * the app's sidecars.yml does not say.
 */

export interface ManifestDependency {
  name: string;
  version: string;
  uri: string;
  sha256: string;
  /** Stacks the artifact runs on; absent in a stack-specific cached zip (top-level `stack:`). */
  cf_stacks?: string[];
  source?: string;
  source_sha256?: string;
  /** Path inside the buildpack of the packaged artifact (cached zips only). */
  file?: string;
}

export interface DefaultVersion {
  name: string;
  /** A version pattern such as `1.2.x`. */
  version: string;
}

export interface DeprecationDate {
  name: string;
  /** A version line such as `22.x.x`. */
  version_line: string;
  /** ISO date, `YYYY-MM-DD`. */
  date: string;
  link?: string;
}

/** How a sidecar taken from a manifest dependency runs unless the app overrides it. */
export interface SidecarDefaults {
  command: string;
  memory?: string;
  process_types?: string[];
  env?: Record<string, string>;
  /** Files of the app the default command reads: staging warns when the app lacks one. */
  app_files?: AppFileNeed[];
}

export interface AppFileNeed {
  /** Relative to the app's root (`/home/vcap/app`). */
  path: string;
  /** An env var of the sidecar that names another file instead: when set, nothing is checked. */
  unless_env?: string;
}

/** A named set of dependencies a cached zip can leave out (libbuildpack's packager). */
export interface PackagingProfile {
  description?: string;
  exclude?: string[];
}

export interface BuildpackManifest {
  language: string;
  /** Set only in a stack-specific cached zip; Cloud Controller reads it at create-buildpack. */
  stack?: string;
  default_versions: DefaultVersion[];
  dependency_deprecation_dates: DeprecationDate[];
  dependencies: ManifestDependency[];
  include_files?: string[];
  /** An executable (path relative to the buildpack root) the packager runs before zipping. */
  pre_package?: string;
  packaging_profiles?: Record<string, PackagingProfile>;
  sidecar_defaults?: Record<string, SidecarDefaults>;
}
