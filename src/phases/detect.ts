/**
 * bin/detect: runs only when no buildpack is named, and the first buildpack that detects runs
 * ALONE. So this claims an app only when it can run it on its own: it has sidecars.yml (or
 * $SIDECARS_YML) AND a start command (Procfile web, or `command:` in sidecars.yml). A Java app with
 * a sidecars.yml is left to the Java buildpack (cf-contract section 1).
 */
import { hasAppConfig, loadAppConfig } from '../config/load.js';
import { isUserError } from '../errors.js';
import { appProcesses } from './app-processes.js';
import type { DetectContext } from './context.js';

export interface DetectResult {
  detected: boolean;
  /** Why, for BP_DEBUG. */
  reason: string;
}

export async function detect(ctx: DetectContext): Promise<DetectResult> {
  if (!(await hasAppConfig(ctx.buildDir, ctx.env)))
    return { detected: false, reason: 'no sidecars.yml or $SIDECARS_YML' };
  try {
    const processes = await appProcesses(ctx.buildDir, await loadAppConfig(ctx.buildDir, ctx.env));
    if (!processes.web)
      return {
        detected: false,
        reason: 'sidecars.yml found but no start command: leaving the app to its language buildpack',
      };
    return { detected: true, reason: 'sidecars.yml and a start command' };
  } catch (error) {
    if (isUserError(error))
      return { detected: false, reason: `sidecars.yml is invalid (${error.describe()})` };
    throw error;
  }
}
