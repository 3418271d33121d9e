/**
 * The builder cases of the conformance corpus (fixtures/conformance/yaml.json): buildpack orders
 * whose launch.yml and config.yml come from the app's env through fixtures/buildpacks/yaml-writer.
 * Shared by the recorder (record-builder.ts, which runs the real builder) and the test.
 */
export interface BuilderCase {
  case: string;
  description: string;
  /** Names of fixtures/buildpacks dirs, in order; each is also its buildpack key. */
  buildpacks: string[];
  /** The app's env (what yaml-writer reads). */
  env: Record<string, string>;
  builder: {
    exitCode: number;
    /** The builder's stderr when it failed: its error, which Cloud Controller shows the user. */
    failure: string | null;
    /** result.json as written (also for a failed build). */
    result: unknown;
    /** staging_info.yml of the droplet, parsed; null when the build failed. */
    stagingInfo: unknown;
  };
}
