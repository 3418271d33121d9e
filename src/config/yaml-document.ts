/**
 * Typed reading of a YAML document with line numbers: every accessor takes the node and the key
 * path, and throws a UserError that names the file, line, key and what was expected.
 */
import {
  LineCounter,
  Scalar,
  YAMLMap,
  YAMLSeq,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type Node,
} from 'yaml';
import { UserError, UserErrors } from '../errors.js';
import { closest } from './did-you-mean.js';

/**
 * What the YAML reader would misread: CR-only line ends (one long line to it), and U+FFFD, which
 * stands for bytes that were not UTF-8 (an env var decoded by the platform, or by Node).
 */
function assertReadableText(text: string, file: string): void {
  const lineOf = (index: number) => text.slice(0, index).split(/\r\n|\n|\r/).length;
  const cr = /\r(?!\n)/.exec(text);
  if (cr)
    throw new UserError('has CR-only line ends (as old Mac editors saved them); YAML needs LF or CRLF', {
      file,
      line: lineOf(cr.index),
      hint: 'Save it with LF line ends.',
    });
  const replaced = text.indexOf('\ufffd');
  if (replaced >= 0)
    throw new UserError('holds U+FFFD, the character that stands for bytes that were not UTF-8', {
      file,
      line: lineOf(replaced),
      hint: 'Save or set it as UTF-8.',
    });
}

export class YamlSource {
  /** Mistakes recorded by attempt(): a file's every mistake is reported in one staging. */
  readonly problems: UserError[] = [];

  private constructor(
    readonly file: string,
    readonly root: Node | null,
    private readonly lines: LineCounter,
  ) {}

  /** Parses `text`; YAML syntax errors (tabs, duplicate keys, bad indentation) become UserErrors. */
  static parse(text: string, file: string): YamlSource {
    assertReadableText(text, file);
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
    const first = doc.errors[0];
    if (first) {
      const line = first.linePos?.[0]?.line;
      const raw = first.message.split('\n')[0] ?? '';
      if (first.code === 'MULTIPLE_DOCS' || raw.includes('multiple documents'))
        throw new UserError('holds more than one YAML document (a `---` line starts another): give one', {
          file,
          ...(line ? { line } : {}),
          hint: 'Put every sidecar under the one `sidecars:` list.',
        });
      if (raw.includes('Maximum call stack'))
        throw new UserError('nests lists or maps too deeply for the YAML reader', {
          file,
          hint: 'A sidecars.yml needs a few levels: sidecars, an entry, its env.',
        });
      const message = raw.replace(/ at line \d+, column \d+:?$/, '') || 'invalid YAML';
      throw new UserError(`is not valid YAML: ${message}`, {
        file,
        ...(line ? { line } : {}),
        hint: 'Indent with spaces (no tabs) and give each key once.',
      });
    }
    return new YamlSource(file, doc.contents as Node | null, lines);
  }

  /**
   * Runs one independent check (a key): a UserError is recorded and undefined returned, so the
   * checks after it still run. Anything else is a bug and goes on up.
   */
  attempt<T>(check: () => T): T | undefined {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      if (error instanceof UserErrors) this.problems.push(...error.errors);
      else this.problems.push(error);
      return undefined;
    }
  }

  /** Throws what attempt() recorded: the one mistake, or all of them in the file's order. */
  throwProblems(): void {
    if (this.problems.length > 0) throw UserErrors.of(this.problems);
  }

  lineOf(node: Node | null | undefined): number | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }

  fail(node: Node | null | undefined, key: string, message: string, hint?: string): never {
    const line = this.lineOf(node);
    throw new UserError(message, {
      file: this.file,
      key,
      ...(line ? { line } : {}),
      ...(hint ? { hint } : {}),
    });
  }

  map(node: Node | null | undefined, key: string): YAMLMap<Scalar<string>, Node> {
    if (!isMap(node)) this.fail(node, key, `expected a map of keys, got ${describe(node)}`);
    return node as YAMLMap<Scalar<string>, Node>;
  }

  seq(node: Node | null | undefined, key: string): YAMLSeq<Node> {
    if (!isSeq(node)) this.fail(node, key, `expected a list, got ${describe(node)}`);
    return node as YAMLSeq<Node>;
  }

  string(node: Node | null | undefined, key: string): string {
    if (!isScalar(node) || typeof node.value !== 'string')
      this.fail(node, key, `expected a string, got ${describe(node)}`);
    return node.value as string;
  }

  /**
   * A scalar as the app wrote it, as env values and keys are: a plain `0x1F`, `0755`, `1e3`,
   * `TRUE` or a 20-digit number stays that text (YAML would make it 31, 755, 1000, true or
   * round it). Quoted scalars are their string.
   */
  scalarText(node: Node | null | undefined, key: string): string {
    if (isScalar(node) && node.type === 'PLAIN' && typeof node.value !== 'string' && node.source)
      return node.source;
    if (!isScalar(node) || node.value === null || typeof node.value === 'object')
      this.fail(node, key, `expected a string, got ${describe(node)}`);
    return String((node as Scalar).value);
  }

  /** The entries of a map as [key, value node], refusing keys not in `known` with a suggestion. */
  entries(
    map: YAMLMap<Scalar<string>, Node>,
    path: string,
    known: readonly string[],
  ): Map<string, Node | null> {
    const out = new Map<string, Node | null>();
    for (const pair of map.items) {
      const keyNode = pair.key as unknown as Node;
      const name = isScalar(keyNode) ? String(keyNode.value) : '';
      const where = keyPath(path, name);
      if (!known.includes(name)) {
        const guess = closest(name, known);
        // Recorded, not thrown: the map's other keys are still read and checked.
        this.attempt(() =>
          this.fail(
            keyNode,
            where,
            `unknown key${guess ? `; did you mean "${guess}"?` : ''}`,
            `Known keys here: ${known.join(', ')}.`,
          ),
        );
        continue;
      }
      out.set(name, (pair.value as Node | null) ?? null);
    }
    return out;
  }
}

/**
 * `path.name`, with a name that is not plain (a newline, an escape code, a space, a quote) quoted
 * as JSON: a key comes from the app, and printed raw it could forge log lines.
 */
export function keyPath(path: string, name: string): string {
  const segment = /^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name);
  return path ? `${path}.${segment}` : segment;
}

function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isAlias(node)) return `an alias (*${node.source}); write the value out`;
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (node.value === null) return 'nothing';
    return `${typeof node.value} ${JSON.stringify(node.value)}`;
  }
  return 'an unsupported YAML value';
}
