/**
 * The files a buildpack writes into DEPS_DIR/INDEX for the lifecycle (cf-contract sections 1, 2).
 */

/** One entry of launch.yml `processes:`. */
export interface LaunchProcess {
  /** Process type, or the sidecar's name. */
  type: string;
  command: string;
  platforms?: {
    cloudfoundry?: {
      /** Process types the sidecar runs beside; absent for an ordinary process. */
      sidecar_for?: string[];
    };
  };
  limits?: {
    /** Megabytes, a plain integer: the lifecycle's Go struct fails on "256M". */
    memory?: number;
  };
}

/** DEPS_DIR/INDEX/launch.yml */
export interface LaunchYml {
  processes: LaunchProcess[];
}

/** DEPS_DIR/INDEX/config.yml: names the buildpack in the staging result. */
export interface DepsConfigYml {
  name: string;
  version: string;
  config?: Record<string, unknown>;
}
