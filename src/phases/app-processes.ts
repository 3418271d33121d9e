/**
 * The app's own processes when this buildpack is the final one (a binary app plus sidecars):
 * the Procfile's process types, else a web process from sidecars.yml's top-level `command`.
 */
import type { AppSidecarConfig } from '../config/config-types.js';
import { readProcfile } from './procfile.js';

export async function appProcesses(
  buildDir: string,
  config: AppSidecarConfig | undefined,
): Promise<Record<string, string>> {
  const procfile = (await readProcfile(buildDir)) ?? {};
  if (!procfile.web && config?.command) procfile.web = config.command;
  return procfile;
}
