/**
 * bin/release: prints the default process types. The lifecycle calls it only when the final
 * buildpack wrote no launch.yml; finalize always writes one, so this is the fallback for tools
 * that still call it.
 */
import { stringify } from 'yaml';
import { loadAppConfig } from '../config/load.js';
import { appProcesses } from './app-processes.js';
import type { ReleaseContext } from './context.js';

export async function release(ctx: ReleaseContext): Promise<string> {
  const processes = await appProcesses(ctx.buildDir, await loadAppConfig(ctx.buildDir, ctx.env));
  return stringify({ default_process_types: processes.web ? { web: processes.web } : {} });
}
