/**
 * launch.yml and config.yml read as the lifecycle's Go yaml.v2 reads them. The yaml package's
 * YAML 1.1 schema already has yaml.v2's octal `0100`, `1_000`, floats, merge keys and "a later
 * duplicate key wins"; what it lacks is Go's number prefixes: yaml.v2 resolves a plain scalar
 * with strconv.ParseInt(s, 0, 64), so `0o100`, `0O100`, `0X40` and `0B1000000` are 64 too
 * (recorded on the real builder: fixtures/conformance/yaml.json, memory-0o ... memory-0B).
 */
import type { ParseOptions, DocumentOptions, SchemaOptions, ScalarTag } from 'yaml';

const GO_PREFIXED_INT = /^[-+]?0(?:[xX][0-9a-fA-F_]+|[oO][0-7_]+|[bB][01_]+)$/;

/** Go's base-0 integer with a prefix, underscores dropped as yaml.v2 drops them. */
export function goPrefixedInt(text: string): number | undefined {
  if (!GO_PREFIXED_INT.test(text)) return undefined;
  const plain = text.replace(/_/g, '');
  const negative = plain.startsWith('-');
  const body = plain.replace(/^[-+]/, '');
  const base = { x: 16, o: 8, b: 2 }[body[1]?.toLowerCase() as 'x' | 'o' | 'b'];
  const digits = body.slice(2);
  if (digits === '') return undefined;
  const value = Number.parseInt(digits, base);
  return negative ? -value : value;
}

const goIntTag: ScalarTag = {
  identify: (value) => typeof value === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: GO_PREFIXED_INT,
  resolve: (text) => goPrefixedInt(text) ?? text,
};

/** Options for the yaml package's parse/parseDocument that read as yaml.v2 does. */
export const YAML_V2: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  merge: true,
  uniqueKeys: false,
  customTags: (tags) => [goIntTag, ...tags],
};
