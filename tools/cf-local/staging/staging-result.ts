/**
 * The staging result, in the shape of the buildpack lifecycle's result.json (the file Cloud
 * Controller reads after staging to learn the droplet's process types and sidecars), and the
 * droplet's staging_info.yml. Field names are the lifecycle's JSON names.
 */
import type { SplitProcesses } from './launch-merge.js';

/**
 * One entry of `lifecycle_metadata.buildpacks`: the key as given (unless config.yml replaces it),
 * and what the buildpack's config.yml sets.
 */
export interface BuildpackMetadata {
  key: string;
  name?: string;
  version?: string;
  config?: { entrypoint_prefix?: string };
  output_metadata?: Record<string, unknown>;
}

/** A sidecar as the lifecycle reports it; `memory` is omitted when 0 (omitempty). */
export interface ResultSidecar {
  name: string;
  process_types: string[];
  command: string;
  memory?: number;
}

export interface ResultProcess {
  type: string;
  command: string;
}

export interface StagingResult {
  lifecycle_type: 'buildpack';
  lifecycle_metadata: {
    buildpack_key: string;
    detected_buildpack: string;
    buildpacks: BuildpackMetadata[];
  };
  process_types: Record<string, string>;
  processes: ResultProcess[];
  sidecars: ResultSidecar[];
  execution_metadata: string;
}

/** droplet/staging_info.yml: JSON (valid YAML), as the lifecycle writes it. */
export interface StagingInfo {
  detected_buildpack: string;
  start_command: string;
  /** The last buildpack's config.yml `config:`; the launcher reads `entrypoint_prefix` here. */
  config?: { entrypoint_prefix?: string };
}

/** The result the lifecycle writes: the last buildpack names the droplet. */
export function stagingResult(split: SplitProcesses, buildpacks: BuildpackMetadata[]): StagingResult {
  const last = buildpacks[buildpacks.length - 1];
  return {
    lifecycle_type: 'buildpack',
    lifecycle_metadata: {
      buildpack_key: last?.key ?? '',
      detected_buildpack: last?.name ?? '',
      buildpacks,
    },
    process_types: split.processTypes,
    processes: split.processes,
    sidecars: split.sidecars,
    execution_metadata: '',
  };
}
