/**
 * Parses one sidecars.yml document (from the file or from $SIDECARS_YML) into validated,
 * normalised sidecar entries. Pure: text in, data or a UserError out.
 */
import type { Node } from 'yaml';
import { UserError, UserErrors } from '../errors.js';
import type { AppSidecarConfig, SidecarEntry, SidecarSource } from './config-types.js';
import { checkProcessType, checkSidecarName, ENV_NAME, MAX_COMMAND_LENGTH } from './cc-rules.js';
import { MAX_SIDECAR_MEMORY_MB, parseSizeMb } from './size.js';
import { parseRuntimeOptions, parseServiceSelector, RUNTIME_OPTION_KEYS } from './parse-runtime-options.js';
import { keyPath, YamlSource } from './yaml-document.js';

export const TOP_LEVEL_KEYS = ['sidecars', 'command'] as const;
export const SIDECAR_KEYS = [
  'name',
  'dependency',
  'version',
  'uri',
  'sha256',
  'command',
  'process_types',
  'memory',
  'env',
  'cf_metadata',
  'output',
  'enabled',
  'required',
  'when_bound',
  ...RUNTIME_OPTION_KEYS,
] as const;

const SHA256 = /^[0-9a-f]{64}$/;
/** How a sidecar's `uri` starts (the schema's pattern too). */
export const URI = /^https?:\/\//i;

/** A NUL byte cannot be passed to `bash -c` (execve ends strings there): the sidecar could not start. */
const NUL_PROBLEM = 'contains a NUL character (\\0), which no command line can carry';

export type ParsedDocument = Omit<AppSidecarConfig, 'sources' | 'layering' | 'layeringWarnings'>;

/** A document whose entries may be overlays or required defaults (see SidecarEntry). */
export interface LayeredDocument {
  sidecars: SidecarEntry[];
  command?: string;
}

export interface ParseOptions {
  /** The operator's defaults document: entries may say `required: true`. */
  operator?: boolean;
  /** Names of the operator's defaults: an app's entry of such a name is an overlay. */
  defaults?: ReadonlySet<string>;
}

/** Parses one document. `file` is how errors name it: `sidecars.yml` or `$SIDECARS_YML`. */
export function parseSidecarsDocument(text: string, file: string): ParsedDocument;
export function parseSidecarsDocument(text: string, file: string, options: ParseOptions): LayeredDocument;
export function parseSidecarsDocument(
  text: string,
  file: string,
  options: ParseOptions = {},
): LayeredDocument {
  const src = YamlSource.parse(text, file);
  if (src.root === null) return { sidecars: [] };
  const top = src.entries(src.map(src.root, '(top level)'), '', TOP_LEVEL_KEYS);

  // Every key is checked even after a mistake: all of a file's mistakes are reported at once.
  const sidecars: { sidecar: SidecarEntry; index: number }[] = [];
  const sidecarsNode = top.get('sidecars');
  if (sidecarsNode !== undefined && sidecarsNode !== null) {
    const seen = new Map<string, number | undefined>();
    const items = src.attempt(() => src.seq(sidecarsNode, 'sidecars').items) ?? [];
    items.forEach((item, index) => {
      const sidecar = src.attempt(() => parseSidecar(src, item, `sidecars[${index}]`, options));
      if (!sidecar) return;
      if (seen.has(sidecar.name)) {
        src.attempt(() =>
          src.fail(
            item,
            `sidecars[${index}].name`,
            `${JSON.stringify(sidecar.name)} is used twice (first at line ${seen.get(sidecar.name)}); Cloud Controller needs unique sidecar names`,
          ),
        );
      }
      seen.set(sidecar.name, sidecar.origin.line);
      sidecars.push({ sidecar, index });
    });
  }

  // launch.yml entries of all buildpacks merge by `type`: a sidecar named like a process type
  // would replace that process (or be replaced by it).
  const processTypes = new Set(['web', ...sidecars.flatMap(({ sidecar }) => sidecar.processTypes ?? [])]);
  for (const { sidecar, index } of sidecars) {
    if (processTypes.has(sidecar.name)) {
      src.problems.push(
        new UserError(`"${sidecar.name}" is also a process type; a sidecar needs a name of its own`, {
          file: src.file,
          ...(sidecar.origin.line ? { line: sidecar.origin.line } : {}),
          key: `sidecars[${index}].name`,
        }),
      );
    }
  }

  const commandNode = top.get('command');
  const command =
    commandNode === undefined ? undefined : src.attempt(() => parseCommand(src, commandNode, 'command'));
  src.throwProblems();
  return { sidecars: sidecars.map((s) => s.sidecar), ...(command !== undefined ? { command } : {}) };
}

/**
 * One entry of `sidecars`. Each key's mistake is recorded (src.attempt) and the next key read;
 * an entry with any mistake throws them all at its end, so that no half-read entry is used.
 */
function parseSidecar(src: YamlSource, node: Node | null, path: string, options: ParseOptions): SidecarEntry {
  const problemsBefore = src.problems.length;
  const sidecar = readSidecar(src, node, path, options);
  if (src.problems.length > problemsBefore) {
    // Taken back out: the caller's attempt() records them again, once.
    throw UserErrors.of(src.problems.splice(problemsBefore));
  }
  return sidecar;
}

function readSidecar(src: YamlSource, node: Node | null, path: string, options: ParseOptions): SidecarEntry {
  const fields = src.entries(src.map(node, path), path, SIDECAR_KEYS);
  const at = (key: string) => `${path}.${key}`;
  const line = src.lineOf(node);
  const flag = (key: 'enabled' | 'required'): boolean | undefined => {
    const flagNode = fields.get(key);
    if (flagNode === undefined) return undefined;
    const text = src.scalarText(flagNode, at(key));
    if (text !== 'true' && text !== 'false')
      src.fail(flagNode, at(key), `${JSON.stringify(text)} is not true or false`);
    return text === 'true';
  };
  const enabled = src.attempt(() => flag('enabled'));
  const required = src.attempt(() => flag('required'));
  if (required !== undefined && !options.operator)
    src.attempt(() =>
      src.fail(
        fields.get('required'),
        at('required'),
        `only the operator's defaults ($SIDECARS_DEFAULTS_YML) can mark a sidecar required`,
      ),
    );

  const name = src.attempt(() => {
    const nameNode = fields.get('name');
    if (nameNode === undefined) src.fail(node, at('name'), 'is missing: every sidecar needs a name');
    const text = src.string(nameNode, at('name'));
    const nameProblem = checkSidecarName(text);
    if (nameProblem) src.fail(nameNode, at('name'), nameProblem);
    return text;
  });

  const commandNode = fields.get('command');
  const command =
    commandNode === undefined ? undefined : src.attempt(() => parseCommand(src, commandNode, at('command')));
  // A command that was given but is wrong is not "missing": no second error about it below.
  const commandGiven = commandNode !== undefined;

  const memoryNode = fields.get('memory');
  const memoryMb =
    memoryNode === undefined ? undefined : src.attempt(() => parseMemory(src, memoryNode, at('memory')));

  const typesNode = fields.get('process_types');
  const processTypes =
    typesNode === undefined
      ? undefined
      : src.attempt(() => parseProcessTypes(src, typesNode, at('process_types')));

  const envNode = fields.get('env');
  const env =
    envNode === undefined || envNode === null
      ? {}
      : (src.attempt(() => parseEnv(src, envNode, at('env'))) ?? {});

  const whenBoundNode = fields.get('when_bound');
  const whenBound =
    whenBoundNode === undefined
      ? undefined
      : src.attempt(() => parseServiceSelector(src, whenBoundNode, at('when_bound')));

  const runtime = parseRuntimeOptions(src, fields, path, env, whenBound);

  const metadataNode = fields.get('cf_metadata');
  let cfMetadata = false;
  if (metadataNode !== undefined) {
    src.attempt(() => {
      const text = src.scalarText(metadataNode, at('cf_metadata'));
      if (text !== 'true' && text !== 'false')
        src.fail(metadataNode, at('cf_metadata'), `${JSON.stringify(text)} is not true or false`);
      cfMetadata = text === 'true';
    });
  }

  const nameOfDefault = name !== undefined && (options.defaults?.has(name) ?? false);
  // Over an operator default, an entry without dependency/uri keeps the default's source.
  const source =
    nameOfDefault && !fields.has('dependency') && !fields.has('uri')
      ? undefined
      : src.attempt(() => parseSource(src, node, fields, path));
  if (source?.kind === 'uri' && !commandGiven) {
    src.attempt(() =>
      src.fail(node, at('command'), 'is missing: a sidecar downloaded from a uri needs a command'),
    );
  }
  if (source?.kind === 'app' && !commandGiven && enabled !== false) {
    src.attempt(() =>
      src.fail(
        node,
        at('command'),
        'is missing: a sidecar without "dependency" or "uri" runs from the app\'s files and needs a command, e.g. ./config-server',
        'Give the command that starts it from the app dir, or name a "dependency" of the buildpack or a "uri" with "sha256".',
      ),
    );
  }

  const outputNode = fields.get('output');
  let output = 'all' as 'all' | 'errors';
  if (outputNode !== undefined) {
    src.attempt(() => {
      const text = src.scalarText(outputNode, at('output'));
      if (text !== 'all' && text !== 'errors')
        src.fail(
          outputNode,
          at('output'),
          `${JSON.stringify(text)} is not "all" or "errors"`,
          'errors: only what the sidecar writes to stderr reaches cf logs; all (the default): stdout too.',
        );
      output = text;
    });
  }

  return {
    // Only read when no mistake was recorded (parseSidecar), and then the name is there.
    name: name as string,
    ...(source ? { source } : {}),
    ...(enabled !== undefined ? { enabled } : {}),
    ...(required !== undefined ? { required } : {}),
    ...(command !== undefined ? { command } : {}),
    ...(processTypes !== undefined ? { processTypes } : {}),
    ...(memoryMb !== undefined ? { memoryMb } : {}),
    env,
    ...(Object.keys(runtime).length > 0 ? { runtime } : {}),
    ...(cfMetadata ? { cfMetadata } : {}),
    ...(output === 'errors' ? { output } : {}),
    ...(whenBound ? { whenBound } : {}),
    origin: { file: src.file, ...(line ? { line } : {}) },
  };
}

function parseSource(
  src: YamlSource,
  node: Node | null,
  fields: Map<string, Node | null>,
  path: string,
): SidecarSource {
  const at = (key: string) => `${path}.${key}`;
  const dependency = fields.get('dependency');
  const uri = fields.get('uri');
  if (dependency !== undefined && uri !== undefined) {
    src.fail(
      uri,
      at('uri'),
      'cannot be combined with "dependency": give either a dependency from the buildpack or a uri',
    );
  }
  if (dependency !== undefined) {
    if (fields.has('sha256'))
      src.fail(
        fields.get('sha256'),
        at('sha256'),
        'only goes with "uri"; a dependency is checked against the buildpack manifest',
      );
    const versionNode = fields.get('version');
    const version = versionNode === undefined ? undefined : src.scalarText(versionNode, at('version'));
    return {
      kind: 'dependency',
      dependency: src.string(dependency, at('dependency')),
      ...(version ? { version } : {}),
    };
  }
  if (uri !== undefined) {
    const text = src.string(uri, at('uri'));
    let parsed: URL | undefined;
    try {
      parsed = new URL(text);
    } catch {
      parsed = undefined;
    }
    // The URL parser drops tabs and newlines inside a URL, and reads `https:host` as
    // `https://host`: what it fetches must be what is written.
    if (!parsed || !URI.test(text) || /[\s\p{Cc}]/u.test(text)) {
      src.fail(uri, at('uri'), 'is not an http(s) URL', 'Write it without spaces, tabs or line breaks.');
    }
    if (fields.has('version'))
      src.fail(
        fields.get('version'),
        at('version'),
        'only goes with "dependency"; a uri names one exact file',
      );
    const shaNode = fields.get('sha256');
    if (shaNode === undefined)
      src.fail(
        uri,
        at('sha256'),
        'is missing: a sidecar downloaded from a uri must be pinned by its sha256',
        'Run `sha256sum FILE` on the artifact and add `sha256: <hex>`.',
      );
    const sha256 = src.scalarText(shaNode, at('sha256')).trim().toLowerCase();
    if (!SHA256.test(sha256))
      src.fail(shaNode, at('sha256'), `${JSON.stringify(sha256)} is not a sha256 (64 hex characters)`);
    return { kind: 'uri', uri: text, sha256 };
  }
  // Neither: the sidecar is in the app's files, as a manifest `sidecars:` entry is.
  for (const key of ['sha256', 'version'])
    if (fields.has(key))
      src.fail(
        fields.get(key),
        at(key),
        `only goes with ${key === 'sha256' ? '"uri"' : '"dependency"'}; without either the sidecar runs from the app's files`,
      );
  return { kind: 'app' };
}

function parseCommand(src: YamlSource, node: Node | null, key: string): string {
  const command = src.string(node, key);
  if (command.trim() === '') src.fail(node, key, 'is empty');
  if (command.includes('\0')) src.fail(node, key, NUL_PROBLEM);
  if (command.length > 4096)
    src.fail(
      node,
      key,
      `is ${command.length} characters long; Cloud Controller allows at most ${MAX_COMMAND_LENGTH}`,
    );
  return command;
}

function parseMemory(src: YamlSource, node: Node | null, key: string): number {
  const text = src.scalarText(node, key);
  const mb = parseSizeMb(typeof (node as { value?: unknown })?.value === 'number' ? Number(text) : text);
  if (mb === undefined)
    src.fail(
      node,
      key,
      `${JSON.stringify(text)} is not a size like 256M`,
      'Write megabytes as 256, 256M or 256MB, gigabytes as 1G.',
    );
  if (mb <= 0)
    src.fail(
      node,
      key,
      `${JSON.stringify(text)} must be more than 0`,
      'A sidecar needs reserved memory, or the Java buildpack gives all of it to the JVM.',
    );
  if (mb > MAX_SIDECAR_MEMORY_MB)
    src.fail(
      node,
      key,
      `${JSON.stringify(text)} is more than the ${MAX_SIDECAR_MEMORY_MB / 1024}G a sidecar may reserve`,
    );
  return mb;
}

function parseProcessTypes(src: YamlSource, node: Node | null, key: string): string[] {
  const items = src.seq(node, key).items;
  if (items.length === 0) src.fail(node, key, 'is empty: name at least one process type (e.g. [web])');
  const types: string[] = [];
  items.forEach((item, i) => {
    const type = src.string(item, `${key}[${i}]`);
    const problem = checkProcessType(type);
    if (problem) src.fail(item, `${key}[${i}]`, problem);
    if (types.includes(type)) src.fail(item, `${key}[${i}]`, `${JSON.stringify(type)} is listed twice`);
    types.push(type);
  });
  return types;
}

function parseEnv(src: YamlSource, node: Node, key: string): Record<string, string> {
  // No prototype: a variable named `__proto__` or `constructor` is kept like any other.
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of src.map(node, key).items) {
    const keyNode = pair.key as unknown as Node;
    const name = src.scalarText(keyNode, key);
    if (!ENV_NAME.test(name))
      src.fail(
        keyNode,
        keyPath(key, name),
        'is not a valid environment variable name (letters, digits and _, not starting with a digit)',
      );
    const value = src.scalarText(pair.value as Node | null, keyPath(key, name));
    if (value.includes('\0')) src.fail(pair.value as Node | null, keyPath(key, name), NUL_PROBLEM);
    env[name] = value;
  }
  return env;
}
