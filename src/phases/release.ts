/**
 * bin/release: prints the default process types.
 *
 * The lifecycle calls it exactly when it did NOT read the final buildpack's launch.yml
 * (cf-contract section 7): under auto-detection among two or more buildpacks it reads
 * `deps/<number of buildpacks - 1>/launch.yml`, while the detected buildpack wrote `deps/0`. The
 * sidecars finalize wrote there would then vanish from the staging result without a word, and
 * the memory guard would reserve memory for sidecars that never run. So when the app declares
 * sidecars, release fails staging with the way to push that works instead.
 */
import { stringify } from 'yaml';
import { loadAppConfig } from '../config/load.js';
import { stagedSidecars } from '../config/when-bound.js';
import { UserError } from '../errors.js';
import { appProcesses } from './app-processes.js';
import type { ReleaseContext } from './context.js';

export async function release(ctx: ReleaseContext): Promise<string> {
  const config = await loadAppConfig(ctx.buildDir, ctx.env);
  // Only the sidecars supply staged count: a when_bound one without its service was never there.
  const staged = config ? stagedSidecars(config.sidecars, ctx.env.VCAP_SERVICES).sidecars : [];
  if (config && staged.length > 0) throw sidecarsWouldBeLost(config.sources, staged.length);
  const processes = await appProcesses(ctx.buildDir, config);
  return stringify({ default_process_types: processes.web ? { web: processes.web } : {} });
}

function sidecarsWouldBeLost(sources: string[], count: number): UserError {
  return new UserError(
    `${sources.join(' + ')} declares ${count} sidecar(s), but Cloud Foundry did not read this buildpack's launch.yml and would start the app without them: the app was auto-detected among several buildpacks, and the lifecycle then reads only the last buildpack's launch.yml`,
    {
      hint: 'Name the buildpacks instead of relying on detection: cf push APP -b sidecar_buildpack -b binary_buildpack (or your language buildpack last, e.g. -b sidecar_buildpack -b java_buildpack).',
    },
  );
}
