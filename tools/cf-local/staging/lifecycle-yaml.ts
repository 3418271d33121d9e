/**
 * Readers for the YAML the lifecycle consumes: launch.yml, a release's output and the Procfile.
 *
 * The lifecycle unmarshals these into strict Go structs (yaml.v2), so a type mismatch fails
 * staging instead of being coerced; the classic case is `limits.memory: 256M`, which must be an
 * integer. We reproduce that strictness with messages in the same shape
 * (`line 7: cannot unmarshal !!str `256M` into int`) so a user reads what Cloud Foundry prints.
 * Unknown keys are ignored, as yaml.v2 does.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { LaunchProcess, LaunchYml } from '../../../src/launch/launch-types.js';

/** A YAML file the lifecycle would refuse; `message` is the lifecycle's own wording. */
export class LifecycleYamlError extends Error {
  override name = 'LifecycleYamlError';
}

interface Doc {
  root: Node | null;
  lineOf(node: Node): number;
}

function load(text: string): Doc {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  const first = doc.errors[0];
  if (first) throw new LifecycleYamlError(`yaml: ${first.message.split('\n')[0]}`);
  return {
    root: (doc.contents as Node | null) ?? null,
    lineOf: (node) => (node.range ? lineCounter.linePos(node.range[0]).line : 0),
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

/** Scalars become strings, as yaml.v2 does for a `string` field; null stays absent. */
function asString(doc: Doc, node: Node | null | undefined): string | undefined {
  if (!node || (isScalar(node) && node.value === null)) return undefined;
  if (!isScalar(node)) throw mismatch(doc, node, 'string');
  return String(node.value);
}

/** The node at `keys` below `node`, or undefined when any step is missing or not a map. */
function field(node: Node | undefined, ...keys: string[]): Node | undefined {
  let at = node;
  for (const key of keys) {
    if (!at || !isMap(at)) return undefined;
    const pair = at.items.find((p) => isScalar(p.key) && p.key.value === key);
    at = (pair?.value as Node | null | undefined) ?? undefined;
  }
  return at;
}

function parseProcess(doc: Doc, node: Node): LaunchProcess {
  if (!isMap(node)) throw mismatch(doc, node, 'resources.Process');
  const proc: LaunchProcess = {
    type: asString(doc, field(node, 'type')) ?? '',
    command: asString(doc, field(node, 'command')) ?? '',
  };
  const sidecarFor = field(node, 'platforms', 'cloudfoundry', 'sidecar_for');
  if (sidecarFor && !(isScalar(sidecarFor) && sidecarFor.value === null)) {
    if (!isSeq(sidecarFor)) throw mismatch(doc, sidecarFor, '[]string');
    proc.platforms = {
      cloudfoundry: { sidecar_for: sidecarFor.items.map((n) => asString(doc, n as Node) ?? '') },
    };
  }
  const memory = field(node, 'limits', 'memory');
  if (memory && !(isScalar(memory) && memory.value === null)) {
    if (!isScalar(memory) || typeof memory.value !== 'number' || !Number.isInteger(memory.value)) {
      throw mismatch(doc, memory, 'int');
    }
    proc.limits = { memory: memory.value };
  }
  return proc;
}

/** Reads DEPS_DIR/INDEX/launch.yml as the lifecycle does. */
export function parseLaunchYml(text: string): LaunchYml {
  const doc = load(text);
  if (!doc.root) return { processes: [] };
  if (!isMap(doc.root)) throw mismatch(doc, doc.root, 'resources.LaunchData');
  const processes = field(doc.root, 'processes');
  if (!processes || (isScalar(processes) && processes.value === null)) return { processes: [] };
  if (!isSeq(processes)) throw mismatch(doc, processes, '[]resources.Process');
  return { processes: processes.items.map((n) => parseProcess(doc, n as Node)) };
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
  return parseProcessTypeMap(doc, field(doc.root, 'default_process_types'));
}

/** DEPS_DIR/INDEX/config.yml's name and version; unreadable files give nothing, as in the lifecycle. */
export function parseDepsConfig(text: string): { name?: string; version?: string } {
  try {
    const doc = load(text);
    if (!doc.root) return {};
    const name = field(doc.root, 'name');
    const version = field(doc.root, 'version');
    return {
      ...(name && isScalar(name) ? { name: String(name.value) } : {}),
      ...(version && isScalar(version) ? { version: String(version.value) } : {}),
    };
  } catch {
    return {};
  }
}
