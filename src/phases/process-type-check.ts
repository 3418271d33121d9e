/**
 * Sidecars for process types the app does not have. At supply only the app's Procfile (and the
 * `web` every final buildpack gives) is known; a later buildpack may still add a type, so a type
 * outside them is a warning, not an error, naming the types the app has. Pure.
 */
import { closest } from '../config/did-you-mean.js';
import type { SidecarPlan } from './plan-sidecars.js';

export function unknownProcessTypeWarnings(
  sidecars: readonly Pick<SidecarPlan, 'name' | 'processTypes'>[],
  procfileTypes: readonly string[] | undefined,
): string[] {
  const known = [...new Set(['web', ...(procfileTypes ?? [])])];
  const has = procfileTypes
    ? `the app has ${known.join(', ')} (web and its Procfile's)`
    : 'the app has no Procfile, so only web is known';
  const warnings: string[] = [];
  for (const sidecar of sidecars)
    for (const type of sidecar.processTypes)
      if (!known.includes(type)) {
        const guess = closest(type, known);
        warnings.push(
          `${sidecar.name}: process_types names ${JSON.stringify(type)}, which is no process type of the app yet (${has}); unless a later buildpack adds it, the sidecar never runs${guess ? `. Did you mean "${guess}"?` : ''}`,
        );
      }
  return warnings;
}
