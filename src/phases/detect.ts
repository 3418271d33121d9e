/**
 * bin/detect: runs only when no buildpack is named, and the first buildpack that detects runs
 * ALONE. So this claims an app only when it can run it on its own: it has sidecars.yml (or
 * $SIDECARS_YML) AND a start command (Procfile web, or `command:` in sidecars.yml). A Java app with
 * a sidecars.yml is left to the Java buildpack (cf-contract section 1).
 *
 * A Procfile web process settles it without reading the sidecar config: bin/detect answers that
 * case itself, without Node.js (bench item 4), and the two must agree. A config that is invalid
 * then fails supply with its error, which says more than a silent decline would.
 */
import { hasAppConfig, loadAppConfig } from '../config/load.js';
import { isUserError } from '../errors.js';
import type { DetectContext } from './context.js';
import { readProcfile } from './procfile.js';

export interface DetectResult {
  detected: boolean;
  /** Why, for BP_DEBUG. */
  reason: string;
  /** A config that cannot be read: said without BP_DEBUG too, as the app is then not claimed. */
  warning?: string;
}

export async function detect(ctx: DetectContext): Promise<DetectResult> {
  if (!(await hasAppConfig(ctx.buildDir, ctx.env)))
    return { detected: false, reason: 'no sidecars.yml or $SIDECARS_YML' };
  try {
    if ((await readProcfile(ctx.buildDir))?.web)
      return { detected: true, reason: 'sidecars.yml and a Procfile web process' };
    if ((await loadAppConfig(ctx.buildDir, ctx.env))?.command)
      return { detected: true, reason: 'sidecars.yml with a top-level command' };
    return {
      detected: false,
      reason: 'sidecars.yml found but no start command: leaving the app to its language buildpack',
    };
  } catch (error) {
    if (isUserError(error))
      return {
        detected: false,
        reason: `cannot tell: ${error.describe()}`,
        warning: `${error.describe()}; sidecar_buildpack does not claim the app (staging with it names the problem)`,
      };
    throw error;
  }
}
