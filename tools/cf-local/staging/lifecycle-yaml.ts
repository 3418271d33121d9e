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
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import type { LaunchProcess, LaunchYml } from '../../../src/launch/launch-types.js';
import { YAML_V2 } from '../../../src/launch/yaml-v2.js';

/** A YAML file the lifecycle would refuse; `message` is the lifecycle's own wording. */
export class LifecycleYamlError extends Error {
  override name = 'LifecycleYamlError';
}

interface Doc {
  root: Node | null;
  lineOf(node: Node): number;
  /** The node itself, or the one an alias names. */
  deref(node: Node | null | undefined): Node | undefined;
  /** The node as plain JavaScript values, aliases resolved. */
  toJS(node: Node): unknown;
}

function load(text: string): Doc {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...YAML_V2, lineCounter });
  const first = doc.errors[0];
  if (first) throw new LifecycleYamlError(syntaxError(first, lineCounter));
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc as Document) === undefined)
        throw new LifecycleYamlError(`yaml: unknown anchor '${alias.source}' referenced`);
    },
  });
  const deref = (node: Node | null | undefined): Node | undefined =>
    isAlias(node) ? ((node.resolve(doc as Document) as Node | undefined) ?? undefined) : (node ?? undefined);
  return {
    root: deref(doc.contents as Node | null) ?? null,
    lineOf: (node) => (node.range ? lineCounter.linePos(node.range[0]).line : 0),
    deref,
    toJS: (node) => node.toJS(doc as Document),
  };
}

/**
 * A parse error in yaml.v2's words where we know them (`yaml: line 2: found character that cannot
 * start any token` for a tab in the indentation), else the parser's own message with yaml.v2's
 * `yaml: line N:` in front.
 */
function syntaxError(error: YAMLError, lineCounter: LineCounter): string {
  const line = lineCounter.linePos(error.pos[0]).line;
  const words =
    error.code === 'TAB_AS_INDENT'
      ? 'found character that cannot start any token'
      : (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  return `yaml: line ${line}: ${words}`;
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
    at = doc.deref(lookup(doc, at, key));
  }
  return at;
}

const isMergeKey = (key: unknown): boolean => isScalar(key) && typeof key.value === 'symbol';

/**
 * A key's value in a map as yaml.v2 decodes it: the map's own last pair, else the first merged
 * map (`<<: *a` or `<<: [*a, *b]`) that has it.
 */
function lookup(doc: Doc, map: YAMLMap, key: string): Node | undefined {
  const own = [...map.items]
    .reverse()
    .find((p) => isScalar(p.key) && !isMergeKey(p.key) && String(p.key.value) === key);
  if (own) return (own.value as Node | null) ?? undefined;
  for (const pair of map.items) {
    if (!isMergeKey(pair.key)) continue;
    const value = doc.deref(pair.value as Node | null);
    const sources = isSeq(value) ? value.items.map((n) => doc.deref(n as Node)) : [value];
    for (const source of sources) {
      if (!isMap(source)) continue;
      const found = lookup(doc, source, key);
      if (found !== undefined) return found;
    }
  }
  return undefined;
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

/** What a buildpack's DEPS_DIR/INDEX/config.yml sets of its `lifecycle_metadata.buildpacks` entry. */
export interface DepsConfig {
  key?: string;
  name?: string;
  version?: string;
  config?: { entrypoint_prefix?: string };
  output_metadata?: Record<string, unknown>;
}

/**
 * DEPS_DIR/INDEX/config.yml as the lifecycle decodes it into its BuildpackMetadata struct:
 * `key` (which replaces the buildpack's key), `name`, `version`, `config.entrypoint_prefix`
 * (which the launcher puts in front of every command instead of `bash -c`) and
 * `output_metadata`. A field of the wrong type is skipped and the others still read, as yaml.v2
 * does; a file that is not YAML gives nothing, since the lifecycle ignores the error.
 */
export function parseDepsConfig(text: string): DepsConfig {
  let doc: Doc;
  try {
    doc = load(text);
  } catch {
    return {};
  }
  if (!doc.root || !isMap(doc.root)) return {};
  const out: DepsConfig = {};
  const text_ = (key: 'key' | 'name' | 'version'): void => {
    try {
      const value = asString(doc, field(doc, doc.root ?? undefined, key));
      if (value !== undefined) out[key] = value;
    } catch {
      // a field of the wrong type stays unset
    }
  };
  text_('key');
  text_('name');
  text_('version');
  const config = field(doc, doc.root, 'config');
  if (isMap(config)) {
    out.config = {};
    try {
      const prefix = asString(doc, field(doc, config, 'entrypoint_prefix'));
      if (prefix) out.config.entrypoint_prefix = prefix;
    } catch {
      // the prefix of the wrong type stays unset; the struct is still there
    }
  }
  const metadata = field(doc, doc.root, 'output_metadata');
  if (isMap(metadata)) {
    const value = doc.toJS(metadata) as Record<string, unknown>;
    if (Object.keys(value).length > 0) out.output_metadata = value;
  }
  return out;
}
