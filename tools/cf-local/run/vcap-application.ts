/**
 * VCAP_APPLICATION as Cloud Controller builds it (cf-contract section 3): for a process and each
 * of its sidecars it carries `process_type` and `limits.mem` = that launch's MEMORY_LIMIT in MB;
 * at staging (and for tasks) it is built from the app and has no `process_type`.
 */
import { createHash } from 'node:crypto';

/** The fake app's identity: stable ids so logs and env look like a real foundation's. */
export interface AppIdentity {
  name: string;
  guid: string;
  spaceName: string;
  spaceGuid: string;
  orgName: string;
  orgGuid: string;
}

export interface VcapApplication {
  application_id: string;
  application_name: string;
  application_uris: string[];
  application_version: string;
  cf_api: string;
  limits: { disk: number; fds: number; mem: number };
  name: string;
  organization_id: string;
  organization_name: string;
  process_id?: string;
  process_type?: string;
  space_id: string;
  space_name: string;
  uris: string[];
  version: string;
}

export interface LaunchLimits {
  memoryMb: number;
  diskMb: number;
  /** Set for a process launch (app or sidecar); absent at staging and for tasks. */
  processType?: string;
}

export function vcapApplication(app: AppIdentity, limits: LaunchLimits): VcapApplication {
  const uris = [`${app.name}.apps.cf-local.internal`];
  const version = `${app.guid.slice(0, 8)}-0000-4000-8000-000000000001`;
  return {
    application_id: app.guid,
    application_name: app.name,
    application_uris: uris,
    application_version: version,
    cf_api: 'https://api.cf-local.internal',
    limits: { disk: limits.diskMb, fds: 16384, mem: limits.memoryMb },
    name: app.name,
    organization_id: app.orgGuid,
    organization_name: app.orgName,
    ...(limits.processType ? { process_id: app.guid, process_type: limits.processType } : {}),
    space_id: app.spaceGuid,
    space_name: app.spaceName,
    uris,
    version,
  };
}

/** An identity derived from a seed (the app's name), so repeated runs agree. */
export function appIdentity(name: string, guidSeed: string = name): AppIdentity {
  const hex = createHash('md5').update(guidSeed).digest('hex');
  const guid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return {
    name,
    guid,
    spaceName: 'local',
    spaceGuid: '5ace0000-0000-4000-8000-000000000001',
    orgName: 'cf-local',
    orgGuid: '0e900000-0000-4000-8000-000000000001',
  };
}
