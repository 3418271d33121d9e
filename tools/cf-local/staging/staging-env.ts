/**
 * The environment a buildpack sees while staging (cf-contract section 1): the app's own env vars,
 * CF_STACK, VCAP_APPLICATION built from the app (so with no `process_type`), VCAP_SERVICES and a
 * MEMORY_LIMIT that is the staging task's memory, not the app's. Nothing else of the host leaks
 * in except PATH (the host stands in for the stack's tools) so a buildpack that depends on a
 * developer's shell settings fails here as it would on the platform.
 */
import { vcapApplication, type AppIdentity } from '../run/vcap-application.js';

export interface StagingEnvInput {
  app: AppIdentity;
  appEnv: Readonly<Record<string, string>>;
  stack: string;
  stagingMemoryMb: number;
  stagingDiskMb: number;
  vcapServices: string;
  hostPath: string;
  /** The staging container's home and temp dirs (/home/vcap, /home/vcap/tmp on the platform). */
  home: string;
  tmpDir: string;
}

/** The app's env first: Cloud Controller sets the platform's variables after it. */
export function stagingEnv(input: StagingEnvInput): Record<string, string> {
  return {
    PATH: input.hostPath,
    LANG: 'en_US.UTF-8',
    ...input.appEnv,
    HOME: input.home,
    TMPDIR: input.tmpDir,
    CF_STACK: input.stack,
    MEMORY_LIMIT: `${input.stagingMemoryMb}m`,
    VCAP_APPLICATION: JSON.stringify(
      vcapApplication(input.app, { memoryMb: input.stagingMemoryMb, diskMb: input.stagingDiskMb }),
    ),
    VCAP_SERVICES: input.vcapServices,
  };
}
