/**
 * `when_bound:` sidecars: staged only when a matching service is bound at staging, as the Java
 * buildpack stages an APM agent once its service is bound. Cloud Controller gives staging the
 * app's VCAP_SERVICES; a bind (or unbind) takes effect at the next restage. Pure.
 */
import type { SidecarConfig } from './config-types.js';
import type { ServiceSelector } from './runtime-options-types.js';

/** What a selector can match in one VCAP_SERVICES entry. */
export interface BoundService {
  name: string;
  label: string;
  tags: string[];
}

/** The services in VCAP_SERVICES, or a problem sentence when it is not the JSON Cloud Controller writes. */
export function boundServices(vcapServices: string | undefined): {
  services: BoundService[];
  problem?: string;
} {
  if (vcapServices === undefined || vcapServices.trim() === '') return { services: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(vcapServices);
  } catch {
    return { services: [], problem: '$VCAP_SERVICES is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { services: [], problem: '$VCAP_SERVICES is not a JSON object of offerings' };
  const services: BoundService[] = [];
  for (const [offering, instances] of Object.entries(parsed as Record<string, unknown>)) {
    if (!Array.isArray(instances)) continue;
    for (const instance of instances as Record<string, unknown>[]) {
      if (typeof instance !== 'object' || instance === null) continue;
      services.push({
        name: typeof instance.name === 'string' ? instance.name : '',
        label: typeof instance.label === 'string' ? instance.label : offering,
        tags: Array.isArray(instance.tags)
          ? instance.tags.filter((t): t is string => typeof t === 'string')
          : [],
      });
    }
  }
  return { services };
}

export function matches(service: BoundService, selector: ServiceSelector): boolean {
  if (selector.by === 'tag') return service.tags.includes(selector.value);
  return service[selector.by] === selector.value;
}

export interface WhenBoundResult {
  sidecars: SidecarConfig[];
  /** One detail line per when_bound sidecar: the service that turned it on, or that none did. */
  lines: string[];
}

/** The sidecars a staging turns on, from its VCAP_SERVICES; with what is wrong with that, if anything. */
export function stagedSidecars(
  sidecars: SidecarConfig[],
  vcapServices: string | undefined,
): WhenBoundResult & { problem?: string } {
  const bound = boundServices(vcapServices);
  return {
    ...selectWhenBound(sidecars, bound.services),
    ...(bound.problem && sidecars.some((s) => s.whenBound) ? { problem: bound.problem } : {}),
  };
}

export function selectWhenBound(sidecars: SidecarConfig[], services: BoundService[]): WhenBoundResult {
  const kept: SidecarConfig[] = [];
  const lines: string[] = [];
  for (const sidecar of sidecars) {
    const selector = sidecar.whenBound;
    if (!selector) {
      kept.push(sidecar);
      continue;
    }
    const what = `${selector.by} ${JSON.stringify(selector.value)}`;
    const found = services.filter((s) => matches(s, selector));
    if (found.length === 0) {
      lines.push(
        `${sidecar.name}: not staged, no bound service has ${what} (when_bound); bind one and restage`,
      );
      continue;
    }
    kept.push(sidecar);
    lines.push(
      `${sidecar.name}: staged, turned on by the bound service ${found.map((s) => JSON.stringify(s.name)).join(', ')} (${what})`,
    );
  }
  return { sidecars: kept, lines };
}
