/**
 * What Diego starts in one container of a process type: the app's process and every sidecar that
 * lists that type in `process_types`, each with its own environment (cf-contract section 4).
 * Pure: paths and ports come in, launch specs go out.
 */
import type { AppRecord } from '../app-record.js';
import type { StagingResult } from '../staging/staging-result.js';
import { processMemory } from './memory.js';
import { vcapApplication, type AppIdentity } from './vcap-application.js';

export interface ProcessSpec {
  /** `web`, or the sidecar's name. */
  name: string;
  /** The log source without the index: `APP/PROC/WEB` or `APP/PROC/WEB/SIDECAR/CONFIG-SERVER`. */
  source: string;
  command: string;
  isSidecar: boolean;
  env: Record<string, string>;
}

export interface PlanInput {
  result: StagingResult;
  app: AppRecord;
  identity: AppIdentity;
  processType: string;
  processMb: number;
  diskMb: number;
  subtractSidecarMemory: boolean;
  port: number;
  /** The cell's and the container's addresses (a network namespace of its own), else 127.0.0.1. */
  addresses?: { hostIp: string; containerIp: string };
  index: number;
  instanceGuid: string;
  hostPath: string;
  /** Per-run overrides of the app's env (like `cf set-env` before a restart). */
  extraEnv: Readonly<Record<string, string>>;
}

export function logSource(processType: string, sidecar?: string): string {
  const base = `APP/PROC/${processType.toUpperCase()}`;
  return sidecar ? `${base}/SIDECAR/${sidecar.toUpperCase()}` : base;
}

export function planProcesses(input: PlanInput): ProcessSpec[] {
  const command = input.result.process_types[input.processType];
  if (!command) {
    throw new Error(
      `the droplet has no command for process type "${input.processType}" (types: ${Object.keys(input.result.process_types).join(', ') || 'none'})`,
    );
  }
  const memory = processMemory(
    input.processMb,
    input.processType,
    input.result.sidecars,
    input.subtractSidecarMemory,
  );
  const app: ProcessSpec = {
    name: input.processType,
    source: logSource(input.processType),
    command,
    isSidecar: false,
    env: processEnv(input, memory.appMb),
  };
  const sidecars = input.result.sidecars
    .filter((s) => s.process_types.includes(input.processType))
    .map((s) => ({
      name: s.name,
      source: logSource(input.processType, s.name),
      command: s.command,
      isSidecar: true,
      env: processEnv(input, memory.sidecarsMb[s.name] ?? input.processMb),
    }));
  return [app, ...sidecars];
}

/**
 * The container's env: the app's, then the platform's (PORT, MEMORY_LIMIT, VCAP_*, CF_INSTANCE_*),
 * which Cloud Controller and Diego set after the app's: an app's `--env MEMORY_LIMIT=2048m`
 * changes nothing, as on the platform. The launcher adds HOME, TMPDIR, DEPS_DIR and VCAP_APPLICATION's
 * host, port and instance fields when it starts the process (launcher-env.ts).
 */
function processEnv(input: PlanInput, memoryMb: number): Record<string, string> {
  const vcap = vcapApplication(input.identity, {
    memoryMb,
    diskMb: input.diskMb,
    processType: input.processType,
  });
  return {
    PATH: input.hostPath,
    LANG: 'en_US.UTF-8',
    USER: 'vcap',
    ...input.app.env,
    ...input.extraEnv,
    PORT: String(input.port),
    VCAP_APP_HOST: '0.0.0.0',
    VCAP_APP_PORT: String(input.port),
    MEMORY_LIMIT: `${memoryMb}m`,
    VCAP_APPLICATION: JSON.stringify(vcap),
    VCAP_SERVICES: input.app.vcapServices,
    CF_INSTANCE_INDEX: String(input.index),
    CF_INSTANCE_GUID: input.instanceGuid,
    // No port mapping here: the container's own address and port are what reaches it.
    CF_INSTANCE_IP: input.addresses?.hostIp ?? '127.0.0.1',
    CF_INSTANCE_INTERNAL_IP: input.addresses?.containerIp ?? '127.0.0.1',
    CF_INSTANCE_PORT: String(input.port),
    CF_INSTANCE_ADDR: `${input.addresses?.containerIp ?? '127.0.0.1'}:${input.port}`,
    CF_INSTANCE_PORTS: JSON.stringify([{ external: input.port, internal: input.port }]),
    INSTANCE_INDEX: String(input.index),
    INSTANCE_GUID: input.instanceGuid,
  };
}
