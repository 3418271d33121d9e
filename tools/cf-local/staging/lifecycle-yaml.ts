/**
 * Readers for the YAML the lifecycle consumes: launch.yml, a release's output and the Procfile.
 *
 * The lifecycle unmarshals these into strict Go structs (yaml.v2), so a type mismatch fails
 * staging instead of being coerced; the classic case is `limits.memory: 256M`, which must be an
 * integer. We reproduce that strictness with messages in the same shape
 * (`line 7: cannot unmarshal !!str `256M` into int`) so a user reads what Cloud Foundry prints.
 * Unknown keys are ignored, as yaml.v2 does. And as yaml.v2 reads them, these are YAML 1.1
 * (`0100` is octal 64, `1_000` is 1000), a later duplicate key wins, aliases and merge keys are
 * resolved, a float fills an int by truncation (64.7 is 64), and a string field takes a scalar's
 * text as written (`version: 2.0` is "2.0"): cf-contract section 7, measured on the real builder.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { LaunchProcess, LaunchYml } from '../../../src/launch/launch-types.js';

/** A YAML file the lifecycle would refuse; `message` is the lifecycle's own wording. */
export class LifecycleYamlError extends Error {
  override name = 'LifecycleYamlError';
}

interface Doc {
  root: Node | null;
  lineOf(node: Node): number;
  /** The node itself, or the one an alias names. */
  deref(node: Node | null | undefined): Node | undefined;
}

function load(text: string): Doc {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, version: '1.1', merge: true });
  const first = doc.errors[0];
  if (first) throw new LifecycleYamlError(`yaml: ${first.message.split('\n')[0]}`);
  const deref = (node: Node | null | undefined): Node | undefined =>
    isAlias(node) ? ((node.resolve(doc as Document) as Node | undefined) ?? undefined) : (node ?? undefined);
  return {
    root: deref(doc.contents as Node | null) ?? null,
    lineOf: (node) => (node.range ? lineCounter.linePos(node.range[0]).line : 0),
    deref,
  };
}

function tagOf(node: Node): string {
  if (isMap(node)) return '!!map';
  if (isSeq(node)) return '!!seq';
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'number') return Number.isInteger(v) ? '!!int' : '!!float';
    if (typeof v === 'boolean') return '!!bool';
    if (v === null) return '!!null';
  }
  return '!!str';
}

function mismatch(doc: Doc, node: Node, goType: string): LifecycleYamlError {
  const shown = isScalar(node) ? ` \`${String(node.value)}\`` : '';
  return new LifecycleYamlError(
    `yaml: unmarshal errors:\n  line ${doc.lineOf(node)}: cannot unmarshal ${tagOf(node)}${shown} into ${goType}`,
  );
}

/** Scalars become strings as written, as yaml.v2 does for a `string` field; null stays absent. */
function asString(doc: Doc, input: Node | null | undefined): string | undefined {
  const node = doc.deref(input);
  if (!node || (isScalar(node) && node.value === null)) return undefined;
  if (!isScalar(node)) throw mismatch(doc, node, 'string');
  if (typeof node.value !== 'string' && node.type === 'PLAIN' && node.source) return node.source;
  return String(node.value);
}

/** The node at `keys` below `node` (the last of duplicate keys), or undefined when a step is missing. */
function field(doc: Doc, node: Node | undefined, ...keys: string[]): Node | undefined {
  let at = doc.deref(node);
  for (const key of keys) {
    if (!at || !isMap(at)) return undefined;
    const pair = [...at.items].reverse().find((p) => isScalar(p.key) && String(p.key.value) === key);
    at = doc.deref(pair?.value as Node | null | undefined);
  }
  return at;
}

function parseProcess(doc: Doc, node: Node): LaunchProcess {
  if (!isMap(node)) throw mismatch(doc, node, 'resources.Process');
  const proc: LaunchProcess = {
    type: asString(doc, field(doc, node, 'type')) ?? '',
    command: asString(doc, field(doc, node, 'command')) ?? '',
  };
  const sidecarFor = field(doc, node, 'platforms', 'cloudfoundry', 'sidecar_for');
  if (sidecarFor && !(isScalar(sidecarFor) && sidecarFor.value === null)) {
    if (!isSeq(sidecarFor)) throw mismatch(doc, sidecarFor, '[]string');
    proc.platforms = {
      cloudfoundry: { sidecar_for: sidecarFor.items.map((n) => asString(doc, n as Node) ?? '') },
    };
  }
  const memory = field(doc, node, 'limits', 'memory');
  if (memory && !(isScalar(memory) && memory.value === null)) {
    if (!isScalar(memory) || typeof memory.value !== 'number') throw mismatch(doc, memory, 'int');
    proc.limits = { memory: Math.trunc(memory.value) };
  }
  return proc;
}

/** Reads DEPS_DIR/INDEX/launch.yml as the lifecycle does. */
export function parseLaunchYml(text: string): LaunchYml {
  const doc = load(text);
  if (!doc.root) return { processes: [] };
  if (!isMap(doc.root)) throw mismatch(doc, doc.root, 'resources.LaunchData');
  const processes = field(doc, doc.root, 'processes');
  if (!processes || (isScalar(processes) && processes.value === null)) return { processes: [] };
  if (!isSeq(processes)) throw mismatch(doc, processes, '[]resources.Process');
  return { processes: processes.items.map((n) => parseProcess(doc, doc.deref(n as Node) as Node)) };
}

/** A `{type: command}` map: the Procfile, or release's `default_process_types`. */
function parseProcessTypeMap(doc: Doc, node: Node | undefined): Record<string, string> {
  if (!node || (isScalar(node) && node.value === null)) return {};
  if (!isMap(node)) throw mismatch(doc, node, 'map[string]string');
  const out: Record<string, string> = {};
  for (const pair of node.items) {
    const key = asString(doc, pair.key as Node);
    if (key !== undefined) out[key] = asString(doc, pair.value as Node) ?? '';
  }
  return out;
}

/** The app's Procfile, which overrides process commands. */
export function parseProcfile(text: string): Record<string, string> {
  const doc = load(text);
  return parseProcessTypeMap(doc, doc.root ?? undefined);
}

/** `bin/release` stdout: `default_process_types: {web: CMD}`. */
export function parseReleaseOutput(text: string): Record<string, string> {
  const doc = load(text);
  if (!doc.root) return {};
  return parseProcessTypeMap(doc, field(doc, doc.root, 'default_process_types'));
}

/**
 * DEPS_DIR/INDEX/config.yml's name, version and `config.entrypoint_prefix` (which the launcher
 * puts in front of every command instead of `bash -c`); unreadable files give nothing, as in the
 * lifecycle.
 */
export function parseDepsConfig(text: string): {
  name?: string;
  version?: string;
  config?: { entrypoint_prefix: string };
} {
  try {
    const doc = load(text);
    if (!doc.root) return {};
    const name = asString(doc, field(doc, doc.root, 'name'));
    const version = asString(doc, field(doc, doc.root, 'version'));
    const prefix = asString(doc, field(doc, doc.root, 'config', 'entrypoint_prefix'));
    return {
      ...(name !== undefined ? { name } : {}),
      ...(version !== undefined ? { version } : {}),
      ...(prefix ? { config: { entrypoint_prefix: prefix } } : {}),
    };
  } catch {
    return {};
  }
}
