/**
 * The checks Cloud Controller applies to buildpack sidecars when it takes a droplet (cf-contract
 * section 2: sidecar_model.rb, sidecar_create_message.rb,
 * sidecar_memory_less_than_process_memory_policy.rb). Staging itself succeeds on Cloud Foundry,
 * but the push fails right after it; a local tool that skipped them would pass apps the platform
 * refuses. Pure: returns the messages, in Cloud Controller's wording.
 */
import type { ResultSidecar } from './staging-result.js';

export interface SidecarCheckInput {
  sidecars: readonly ResultSidecar[];
  /** Memory (MB) of each process type that will run, e.g. `{web: 1024}`. */
  processMemoryMb: Readonly<Record<string, number>>;
  /** Names of sidecars the user defined in the app manifest. */
  userSidecarNames?: readonly string[];
}

const MAX_NAME = 255;
const MAX_COMMAND = 4096;

/** Every reason Cloud Controller would refuse these sidecars; empty when it accepts them. */
export function checkSidecars(input: SidecarCheckInput): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const sidecar of input.sidecars) {
    const label = `Sidecar '${sidecar.name}'`;
    if (!sidecar.name) errors.push("Sidecar name can't be blank");
    if (sidecar.name.length > MAX_NAME)
      errors.push(`${label}: Name is too long (maximum is ${MAX_NAME} characters)`);
    if (seen.has(sidecar.name)) errors.push(`${label}: Name has already been taken`);
    seen.add(sidecar.name);
    if (input.userSidecarNames?.includes(sidecar.name)) {
      errors.push(`${label} conflicts with an existing user-defined sidecar`);
    }
    if (!sidecar.command) errors.push(`${label}: Command can't be blank`);
    if (sidecar.command.length > MAX_COMMAND) {
      errors.push(`${label}: Command is too long (maximum is ${MAX_COMMAND} characters)`);
    }
    if (sidecar.process_types.length === 0)
      errors.push(`${label}: Process types must have at least 1 process_type`);
    if (new Set(sidecar.process_types).size !== sidecar.process_types.length) {
      errors.push(`${label}: Process types must be unique`);
    }
    for (const type of sidecar.process_types) {
      if (!type || type.length > MAX_NAME)
        errors.push(`${label}: Process type '${type}' must be 1 to ${MAX_NAME} characters`);
    }
    if (sidecar.memory !== undefined && (!Number.isInteger(sidecar.memory) || sidecar.memory <= 0)) {
      errors.push(`${label}: Memory in mb must be greater than 0`);
    }
  }
  errors.push(...checkMemory(input));
  return errors;
}

/** Total sidecar memory of each process type must stay below that process's memory. */
function checkMemory(input: SidecarCheckInput): string[] {
  const errors: string[] = [];
  for (const [type, processMb] of Object.entries(input.processMemoryMb)) {
    const total = sidecarMemoryFor(input.sidecars, type);
    if (total >= processMb) {
      errors.push(`The memory allocation defined is too large to run with the dependent "${type}" process`);
    }
  }
  return errors;
}

/** Sum of the memory the sidecars of `processType` declare (0 when none declares any). */
export function sidecarMemoryFor(sidecars: readonly ResultSidecar[], processType: string): number {
  return sidecars
    .filter((s) => s.process_types.includes(processType))
    .reduce((sum, s) => sum + (s.memory ?? 0), 0);
}
