/**
 * Builds runtime.json (src/runtime/runtime-types.ts) from the planned sidecars, and the staging
 * advice on memory. Pure: data in, data out; install-runtime.ts writes the files.
 */
import type { SidecarRuntimeOptions } from '../config/runtime-options-types.js';
import { BACKOFF, formatSeconds, MEMORY_CHECK, NICE } from '../config/parse-runtime-options.js';
import { formatMb } from '../config/size.js';
import { jvmMinimumMb } from './jvm-memory.js';
import type { DeclaredSidecar } from '../launch/declared-sidecars.js';
import {
  RUNTIME_JSON_VERSION,
  type RuntimeJson,
  type RuntimeOtherSidecar,
  type RuntimeSidecar,
} from './runtime-types.js';

/** DEPS_DIR/INDEX/<this>: the scripts and runtime.json. */
export const RUNTIME_DIR_NAME = 'sidecar_runtime';

/** `$DEPS_DIR/0/sidecar_runtime`, as a launch command names it (expanded at run time). */
export function runtimeDirAtLaunch(depsIdx: string): string {
  return `$DEPS_DIR/${depsIdx}/${RUNTIME_DIR_NAME}`;
}

/** What the run time needs to know of a sidecar (a subset of the launch plan). */
export interface RuntimeSidecarInput {
  name: string;
  processTypes: string[];
  memoryMb: number;
  runtime?: SidecarRuntimeOptions;
}

export function buildRuntimeJson(
  sidecars: RuntimeSidecarInput[],
  others: DeclaredSidecar[] = [],
): RuntimeJson {
  // No prototypes: a process type or sidecar named `constructor` or `toString` is a key like any
  // other (with `{}`, `??=` would find Object's own and write into it).
  const json: RuntimeJson = {
    version: RUNTIME_JSON_VERSION,
    processTypes: Object.create(null) as RuntimeJson['processTypes'],
    sidecars: Object.create(null) as RuntimeJson['sidecars'],
    otherSidecars: otherSidecars(sidecars, others),
  };
  for (const sidecar of sidecars) {
    for (const type of sidecar.processTypes) {
      const entry = (json.processTypes[type] ??= { sidecarMemoryMb: 0, sidecars: [] });
      entry.sidecarMemoryMb += sidecar.memoryMb;
      entry.sidecars.push(sidecar.name);
    }
    json.sidecars[sidecar.name] = runtimeSidecar(sidecar);
  }
  return json;
}

/**
 * Other buildpacks' sidecars, less any that one of ours replaces or is replaced by (same name:
 * the lifecycle keeps one entry per type, and a sidecar of ours by that name is not theirs).
 */
function otherSidecars(ours: RuntimeSidecarInput[], others: DeclaredSidecar[]): RuntimeOtherSidecar[] {
  const names = new Set(ours.map((s) => s.name));
  return others
    .filter((s) => !names.has(s.name) && !`${s.name}${s.command}`.includes('\0'))
    .map((s) => ({
      name: s.name,
      depsIdx: s.depsIdx,
      processTypes: [...s.processTypes],
      memoryMb: s.memoryMb,
      command: s.command,
    }));
}

/**
 * The memory the guard reserves beside a process type: every declared sidecar's, this
 * buildpack's and the others' (Cloud Controller subtracts them all from MEMORY_LIMIT).
 */
export function reservedMemoryMb(runtime: RuntimeJson, processType: string): number {
  const others = runtime.otherSidecars
    .filter((s) => s.processTypes.includes(processType))
    .reduce((sum, s) => sum + s.memoryMb, 0);
  return (runtime.processTypes[processType]?.sidecarMemoryMb ?? 0) + others;
}

/** Every process type some sidecar, ours or another buildpack's, runs beside. */
export function sidecarProcessTypes(runtime: RuntimeJson): string[] {
  const types = new Set(Object.keys(runtime.processTypes));
  for (const s of runtime.otherSidecars) for (const t of s.processTypes) types.add(t);
  return [...types];
}

function runtimeSidecar(sidecar: RuntimeSidecarInput): RuntimeSidecar {
  const { ready, health, stop, credentials, restart, overMemory, priority } = sidecar.runtime ?? {};
  const policy = restart?.policy ?? 'never';
  return {
    processTypes: [...sidecar.processTypes],
    memoryMb: sidecar.memoryMb,
    ...(ready
      ? { ready: { ...ready.probe, timeoutSeconds: ready.timeoutSeconds, onTimeout: ready.onTimeout } }
      : {}),
    ...(health
      ? {
          health: {
            ...health.probe,
            intervalSeconds: health.intervalSeconds,
            timeoutSeconds: health.timeoutSeconds,
            failureThreshold: health.failureThreshold,
            startPeriodSeconds: health.startPeriodSeconds,
          },
        }
      : {}),
    ...(stop ? { stop: { graceSeconds: stop.graceSeconds } } : {}),
    ...(credentials && credentials.length > 0
      ? { credentials: credentials.map((c) => ({ by: c.by, value: c.value, env: { ...c.env } })) }
      : {}),
    restart: {
      policy,
      maxRestarts: restart?.policy === 'never' || !restart ? 0 : restart.maxRestarts,
      withinSeconds: restart?.policy === 'never' || !restart ? 0 : restart.withinSeconds,
      backoff: { ...BACKOFF },
    },
    // Restart when the policy allows it (over_memory: restart under an operator's default with
    // an app's restart: never is one of those layerings that cannot restart: it warns).
    memoryCheck: {
      action: policy !== 'never' && (overMemory ?? 'restart') === 'restart' ? 'restart' : 'warn',
      ...MEMORY_CHECK,
    },
    nice: NICE[priority ?? 'normal'],
  };
}

/**
 * The per-process-type view profile.sh reads on every app start, so that the memory guard and the
 * ready wait need no jq (jq 1.6 takes ~30 ms to start): DEPS_DIR/INDEX/sidecar_runtime/
 * process-types/<type>.tsv, tab-separated lines with no empty field (validated names, ports,
 * URLs without white space):
 *
 *   memory  256
 *   ready   config-server  tcp   8082                          60  fail
 *   ready   agent          http  http://localhost:9000/ready   30  warn
 *
 * runtime.json stays the source of truth; this is derived from it.
 */
export type ProcessTypeRow =
  ['memory', number] | ['ready', string, 'http' | 'tcp', string, number, 'fail' | 'warn'];

export function processTypeRows(runtime: RuntimeJson, processType: string): ProcessTypeRow[] {
  if (!sidecarProcessTypes(runtime).includes(processType)) return [];
  const rows: ProcessTypeRow[] = [['memory', reservedMemoryMb(runtime, processType)]];
  for (const name of runtime.processTypes[processType]?.sidecars ?? []) {
    const ready = runtime.sidecars[name]?.ready;
    if (!ready) continue;
    const target = ready.kind === 'http' ? ready.url : String(ready.port);
    rows.push(['ready', name, ready.kind, target, ready.timeoutSeconds, ready.onTimeout]);
  }
  return rows;
}

/** Serialises rows as TSV; refuses a field the bash `read` could split or merge. */
export function formatProcessTypeRows(rows: ProcessTypeRow[]): string {
  return rows
    .map((row) =>
      row
        .map((field) => {
          const text = String(field);
          if (text === '' || /\s/.test(text))
            throw new Error(`cannot write ${JSON.stringify(text)} into a process-type row`);
          return text;
        })
        .join('\t'),
    )
    .map((line) => `${line}\n`)
    .join('');
}

export interface MemoryAdvice {
  /** Detail lines: what each process type must have, always printed. */
  details: string[];
  /** Warnings: process types whose memory certainly leaves a JVM too little. */
  warnings: string[];
}

/**
 * Staging cannot see an app's run-time memory: MEMORY_LIMIT at staging is the staging memory,
 * which Cloud Controller sets to at least the app's memory (and at least 1G). So: a detail line per
 * process type with the memory a JVM app needs there, and a warning when even the staging memory
 * minus the sidecars leaves a JVM less than a sane minimum (then the app's memory does too).
 */
export function memoryAdvice(runtime: RuntimeJson, stagingMemoryMb: number | undefined): MemoryAdvice {
  const minimum = jvmMinimumMb();
  const details: string[] = [];
  const warnings: string[] = [];
  for (const type of sidecarProcessTypes(runtime)) {
    const reserved = reservedMemoryMb(runtime, type);
    const needed = reserved + minimum;
    details.push(
      `Process type ${type}: sidecars reserve ${formatMb(reserved)}; a JVM app needs at least ${formatMb(needed)} there (${formatMb(minimum)} for a typical JVM)`,
    );
    if (stagingMemoryMb !== undefined && stagingMemoryMb - reserved < minimum) {
      warnings.push(
        `The sidecars of process type ${type} reserve ${formatMb(reserved)} of at most ${formatMb(stagingMemoryMb)}: a JVM would get less than ${formatMb(Math.max(0, stagingMemoryMb - reserved))}, below the ${formatMb(minimum)} a typical app needs (Java memory calculator: 250 threads, 15,000 classes, 128M heap). Give ${type} at least ${formatMb(needed)}: \`cf scale APP -m ${scaleArgument(needed)}\` or \`memory:\` in manifest.yml, or lower the sidecars' memory.`,
      );
    }
  }
  return { details, warnings };
}

/** One line per sidecar with run-time options, for the staging log. */
export function runtimeFeatureLines(runtime: RuntimeJson): string[] {
  const probe = (p: { kind: string; url?: string; port?: number }) =>
    p.kind === 'http' ? `http ${p.url}` : `tcp ${p.port}`;
  const lines: string[] = [];
  for (const [name, s] of Object.entries(runtime.sidecars)) {
    const parts: string[] = [];
    if (s.ready)
      parts.push(`ready: ${probe(s.ready)} within ${s.ready.timeoutSeconds}s, else ${s.ready.onTimeout}`);
    if (s.health)
      parts.push(
        `health: ${probe(s.health)} every ${s.health.intervalSeconds}s, stop after ${s.health.failureThreshold} failures`,
      );
    if (s.stop) parts.push(`stop: outlives the app by up to ${s.stop.graceSeconds}s`);
    if (s.credentials)
      parts.push(
        `credentials: ${s.credentials.map((c) => `${Object.keys(c.env).join(',')} from ${c.by} "${c.value}"`).join('; ')}`,
      );
    if (s.restart.policy !== 'never')
      parts.push(
        `restart: ${s.restart.policy}, at most ${s.restart.maxRestarts} times within ${formatSeconds(s.restart.withinSeconds)}`,
      );
    if (s.memoryCheck.action === 'restart') parts.push(`over its ${formatMb(s.memoryMb)}: restarted`);
    if (s.nice > 0) parts.push(`CPU priority: nice ${s.nice}`);
    if (parts.length > 0) lines.push(`${name}: ${parts.join('; ')}`);
  }
  return lines;
}

function scaleArgument(mb: number): string {
  return mb <= 1024 ? '1G' : mb % 1024 === 0 ? `${mb / 1024}G` : `${mb}M`;
}
