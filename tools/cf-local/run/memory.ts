/**
 * Memory as Cloud Controller hands it to a launch (cf-contract section 3). The container's limit
 * is the whole process memory; the app process's MEMORY_LIMIT is that minus its sidecars'
 * declared memory (only when some sidecar declares memory, and only on Cloud Controllers that
 * subtract: older ones did not); a sidecar's MEMORY_LIMIT is its own memory, or the process
 * memory when it declared none. A Cloud Controller that did not subtract (before b6c0c46) also
 * gave each sidecar the app's whole environment, so its MEMORY_LIMIT was the process memory.
 * VCAP_APPLICATION.limits.mem follows MEMORY_LIMIT.
 */
import type { ResultSidecar } from '../staging/staging-result.js';
import { sidecarMemoryFor } from '../staging/sidecar-checks.js';

const UNITS: Record<string, number> = {
  '': 1,
  M: 1,
  MB: 1,
  G: 1024,
  GB: 1024,
  T: 1024 * 1024,
  TB: 1024 * 1024,
};

/** `1G`, `768M`, `512mb`, `2048` -> megabytes, as `cf push -m` reads it. */
export function parseMemoryMb(text: string): number {
  const match = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text);
  const factor = match ? UNITS[(match[2] ?? '').toUpperCase()] : undefined;
  if (!match || factor === undefined) {
    throw new Error(`memory "${text}" is not a size like 1G or 768M`);
  }
  return Number(match[1]) * factor;
}

export interface ProcessMemory {
  /** MEMORY_LIMIT of the app process, in MB. */
  appMb: number;
  /** MEMORY_LIMIT of each sidecar of the process type, by name, in MB. */
  sidecarsMb: Record<string, number>;
}

export function processMemory(
  processMb: number,
  processType: string,
  sidecars: readonly ResultSidecar[],
  subtractSidecarMemory: boolean,
): ProcessMemory {
  const own = sidecars.filter((s) => s.process_types.includes(processType));
  const reserved = sidecarMemoryFor(sidecars, processType);
  return {
    appMb: subtractSidecarMemory && reserved > 0 ? processMb - reserved : processMb,
    sidecarsMb: Object.fromEntries(
      own.map((s) => [s.name, subtractSidecarMemory ? (s.memory ?? processMb) : processMb]),
    ),
  };
}
