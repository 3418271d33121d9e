/**
 * How the lifecycle turns launch.yml files, the final buildpack's release output and the app's
 * Procfile into process types and sidecars (cf-contract sections 1 and 2). Pure: callers read
 * the files.
 */
import type { LaunchProcess } from '../../../src/launch/launch-types.js';
import type { ResultProcess, ResultSidecar } from './staging-result.js';

/**
 * Merges `next` over `base`: an entry with the same `type` replaces the earlier one in place,
 * new types are appended (the lifecycle's MergeProcesses).
 */
export function mergeProcesses(
  base: readonly LaunchProcess[],
  next: readonly LaunchProcess[],
): LaunchProcess[] {
  const result = [...base];
  for (const proc of next) {
    const at = result.findIndex((p) => p.type === proc.type);
    if (at >= 0) result[at] = proc;
    else result.push(proc);
  }
  return result;
}

/** `{web: CMD}` maps (release's default_process_types, a Procfile) as launch entries. */
export function processTypesToLaunch(types: Record<string, string>): LaunchProcess[] {
  return Object.entries(types).map(([type, command]) => ({ type, command }));
}

export interface SplitProcesses {
  processTypes: Record<string, string>;
  processes: ResultProcess[];
  sidecars: ResultSidecar[];
}

/**
 * Splits merged launch entries into process types and sidecars: an entry with `sidecar_for` is a
 * sidecar; a memory of 0 or none is dropped, as the lifecycle's omitempty does.
 */
export function splitProcesses(merged: readonly LaunchProcess[]): SplitProcesses {
  const out: SplitProcesses = { processTypes: {}, processes: [], sidecars: [] };
  for (const proc of merged) {
    const sidecarFor = proc.platforms?.cloudfoundry?.sidecar_for ?? [];
    if (sidecarFor.length === 0) {
      out.processTypes[proc.type] = proc.command;
      out.processes.push({ type: proc.type, command: proc.command });
      continue;
    }
    const sidecar: ResultSidecar = { name: proc.type, process_types: sidecarFor, command: proc.command };
    const memory = proc.limits?.memory;
    if (memory) sidecar.memory = memory;
    out.sidecars.push(sidecar);
  }
  return out;
}
