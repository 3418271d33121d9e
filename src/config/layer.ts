/**
 * The operator's defaults beneath the app's config. Cloud Controller merges the app's env over
 * the staging environment group by variable name (cf-contract section 8), so an operator who
 * put SIDECARS_YML into the group would be replaced whole by any app that sets its own. The
 * operator's document has a variable of its own, SIDECARS_DEFAULTS_YML, and is layered here,
 * per sidecar and per key:
 *
 *   - a default the app does not name is staged as the operator wrote it;
 *   - an app entry of the same name overrides it key by key (`env` and the run-time options
 *     ready/health/stop/credentials/restart/over_memory/priority per entry), and keeps the default's source unless it names
 *     its own `dependency` or `uri`;
 *   - `enabled: false` in the app's entry switches the default off, unless the operator marked
 *     it `required: true`: then a warning says the app's switch is ignored;
 *   - the app's other sidecars come after the defaults.
 *
 * Pure: parsed documents in, the sidecars and one log line per default out.
 */
import type { SidecarConfig, SidecarEntry } from './config-types.js';
import { RUNTIME_OPTION_NAMES } from './parse-runtime-options.js';

export interface Layered {
  sidecars: SidecarConfig[];
  /** Which layer set what, one detail line per operator default. */
  notes: string[];
  warnings: string[];
}

/** The keys an app entry can set over a default, as sidecars.yml spells them. */
const KEY_NAMES: [keyof SidecarEntry, string][] = [
  ['source', 'dependency/uri'],
  ['command', 'command'],
  ['processTypes', 'process_types'],
  ['memoryMb', 'memory'],
  ['cfMetadata', 'cf_metadata'],
  ['output', 'output'],
  ['whenBound', 'when_bound'],
];

export function layerDefaults(defaults: SidecarEntry[], app: SidecarEntry[], appFile: string): Layered {
  const notes: string[] = [];
  const warnings: string[] = [];
  const sidecars: SidecarConfig[] = [];
  const byName = new Map(app.map((entry) => [entry.name, entry]));
  for (const base of defaults) {
    const over = byName.get(base.name);
    byName.delete(base.name);
    if (!over) {
      if (base.enabled !== false) {
        sidecars.push(asConfig(base));
        notes.push(`${base.name}: the operator's default, as it is`);
      }
      continue;
    }
    if (over.enabled === false && base.required) {
      warnings.push(
        `${base.name}: ${appFile} switches it off (enabled: false), but the operator's defaults mark it required; it is staged`,
      );
    } else if (over.enabled === false) {
      notes.push(`${base.name}: the operator's default, switched off by ${appFile}`);
      continue;
    }
    const set: string[] = [];
    const merged: SidecarEntry = { ...base, origin: over.origin };
    for (const [key, spelled] of KEY_NAMES) {
      if (over[key] === undefined) continue;
      (merged as unknown as Record<string, unknown>)[key] = over[key];
      set.push(spelled);
    }
    merged.env = { ...base.env, ...over.env };
    set.push(...Object.keys(over.env).map((k) => `env.${k}`));
    if (over.runtime) {
      merged.runtime = { ...base.runtime, ...over.runtime };
      set.push(
        ...(Object.keys(over.runtime) as (keyof typeof over.runtime)[]).map((k) => RUNTIME_OPTION_NAMES[k]),
      );
    }
    sidecars.push(asConfig(merged));
    notes.push(
      `${base.name}: the operator's default${set.length ? `, with ${set.join(', ')} from ${appFile}` : ''}`,
    );
  }
  for (const entry of byName.values()) if (entry.enabled !== false) sidecars.push(asConfig(entry));
  return { sidecars, notes, warnings };
}

/** An entry with its layering flags dropped; every entry left has a source by now. */
function asConfig(entry: SidecarEntry): SidecarConfig {
  const { enabled: _enabled, required: _required, source, ...rest } = entry;
  return { ...rest, source: source ?? { kind: 'app' } };
}
