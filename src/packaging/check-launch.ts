/**
 * What --verify checks in the launch.yml a staging wrote (pure: text in, problems out): the
 * fields the lifecycle's strict Go struct and Cloud Controller reject (cf-contract section 2),
 * and no staging-time path baked into a command (the droplet runs under /home/vcap/deps).
 */
import { parse } from 'yaml';
import type { LaunchProcess, LaunchYml } from '../launch/launch-types.js';

export interface LaunchCheck {
  launch?: LaunchYml;
  problems: string[];
}

export function checkLaunchYml(text: string, stagingDepsDir: string): LaunchCheck {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    return { problems: [`launch.yml is not valid YAML: ${(error as Error).message.split('\n')[0]}`] };
  }
  const processes = (raw as { processes?: unknown } | null)?.processes;
  if (!Array.isArray(processes) || processes.length === 0)
    return { problems: ['launch.yml has no processes'] };
  const problems: string[] = [];
  const types = new Set<string>();
  processes.forEach((p: LaunchProcess, i) => {
    const at = `processes[${i}]`;
    if (typeof p?.type !== 'string' || p.type === '' || p.type.length > 255)
      problems.push(`${at}.type must be a name of 1-255 characters`);
    else if (types.has(p.type)) problems.push(`${at}.type "${p.type}" appears twice`);
    else types.add(p.type);
    if (typeof p?.command !== 'string' || p.command === '' || p.command.length > 4096)
      problems.push(`${at}.command must be 1-4096 characters`);
    else if (p.command.includes(stagingDepsDir))
      problems.push(`${at}.command contains the staging path ${stagingDepsDir}; use $DEPS_DIR`);
    const sidecarFor = p?.platforms?.cloudfoundry?.sidecar_for;
    if (sidecarFor !== undefined && (!Array.isArray(sidecarFor) || sidecarFor.length === 0))
      problems.push(`${at}.platforms.cloudfoundry.sidecar_for must list process types`);
    const memory = p?.limits?.memory;
    if (memory !== undefined && !(Number.isInteger(memory) && memory > 0))
      problems.push(`${at}.limits.memory must be a whole number of MB > 0, got ${JSON.stringify(memory)}`);
  });
  return { launch: raw as LaunchYml, problems };
}
