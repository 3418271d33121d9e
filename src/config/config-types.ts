/**
 * The app's sidecar configuration: sidecars.yml in the app root, or the same document in the
 * SIDECARS_YML environment variable. These are the validated, normalised shapes the rest of the
 * buildpack works with; config/load.ts turns the raw YAML into them.
 */

import type { ServiceSelector, SidecarRuntimeOptions } from './runtime-options-types.js';

/** Where a value came from, for error messages: `sidecars.yml:7` or `$SIDECARS_YML:3`. */
export interface Origin {
  file: string;
  line?: number;
}

/** A sidecar taken from the buildpack's manifest.yml dependencies. */
export interface DependencySource {
  kind: 'dependency';
  dependency: string;
  /** Version pattern (`1.x`, `1.2.3`); undefined means the manifest's default_versions. */
  version?: string;
}

/** A sidecar downloaded from any URL, pinned by its sha256. */
export interface UriSource {
  kind: 'uri';
  uri: string;
  sha256: string;
}

/**
 * A sidecar the app brings in its own files, as Cloud Foundry's manifest `sidecars:` are: its
 * command runs from the app dir (e.g. `./config-server`); nothing is fetched.
 */
export interface AppFilesSource {
  kind: 'app';
}

export type SidecarSource = DependencySource | UriSource | AppFilesSource;

export interface SidecarConfig {
  /** Unique per app; becomes launch.yml `type` and the install dir name. */
  name: string;
  source: SidecarSource;
  /** Run in the sidecar's install dir; undefined means the dependency's default command. */
  command?: string;
  /** undefined means the dependency's default, else [web]. */
  processTypes?: string[];
  /** Megabytes; undefined means the dependency's default (required in the end). */
  memoryMb?: number;
  /** Exported for this sidecar only. */
  env: Record<string, string>;
  /** ready:, health:, stop:, credentials: (config/parse-runtime-options.ts). */
  runtime?: SidecarRuntimeOptions;
  /** `cf_metadata: true`: app, space, org and instance exported at launch (runtime/cf-metadata.sh). */
  cfMetadata?: boolean;
  /** `output: errors`: the sidecar's stdout is discarded, its stderr still reaches cf logs. */
  output?: 'errors';
  /** `when_bound:` staged only when VCAP_SERVICES at staging has such a service (config/when-bound.ts). */
  whenBound?: ServiceSelector;
  origin: Origin;
}

/**
 * An entry as one document states it, before the operator's defaults are layered beneath it
 * (config/layer.ts): an app's entry that names an operator default may leave the source out and
 * switch the default off with `enabled: false`; an operator's entry may be `required`.
 */
export interface SidecarEntry extends Omit<SidecarConfig, 'source'> {
  /** Undefined only in an app's entry over an operator default: the default's source stays. */
  source?: SidecarSource;
  /** `enabled: false` drops the sidecar (an operator default, unless it is required). */
  enabled?: boolean;
  /** `required: true`, operator defaults only: apps cannot switch the sidecar off. */
  required?: boolean;
}

export interface AppSidecarConfig {
  sidecars: SidecarConfig[];
  /** The app's web command when this buildpack is the final one (a binary app plus sidecars). */
  command?: string;
  /** Which documents were read, for the log. */
  sources: string[];
  /** Which layer set what, one line per operator default (config/layer.ts). */
  layering?: string[];
  /** An app's attempt to switch off a required default, for a WARNING each. */
  layeringWarnings?: string[];
}
