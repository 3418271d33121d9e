/**
 * schema/sidecars.schema.json: what src/config/schema.ts builds from the parser's definitions,
 * accepting every document the parser accepts (10,000 generated ones, the docs' and the
 * fixtures'), and refusing unknown keys and wrong types as the parser does.
 */
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseSidecarsDocument } from '../../src/config/parse.js';
import { sidecarsSchema } from '../../src/config/schema.js';
import { UserError } from '../../src/errors.js';
import { REPO_ROOT } from '../support/buildpack.js';
import { yamlText } from '../support/sidecars-yml-arbitrary.js';

const schema = JSON.parse(await readFile(join(REPO_ROOT, 'schema', 'sidecars.schema.json'), 'utf8'));
const validate = new Ajv({
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
  allErrors: true,
}).compile(schema);

/** What an editor checks: the YAML as data (YAML 1.2, as yaml-language-server reads it). */
function schemaAccepts(text: string): boolean {
  return validate(parse(text) ?? {});
}

function parserAccepts(text: string, operator = false): boolean {
  try {
    parseSidecarsDocument(text, 'sidecars.yml', { operator });
    return true;
  } catch (error) {
    if (error instanceof UserError) return false;
    throw error;
  }
}

describe('schema/sidecars.schema.json', () => {
  it('is what src/config/schema.ts builds (npm run schema writes it)', () => {
    expect(schema).toEqual(sidecarsSchema());
  });

  it('accepts every document the parser accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(yamlText, (text) => {
        let data: unknown;
        try {
          data = parse(text);
        } catch {
          return; // not YAML an editor could read either
        }
        // Operator-only `required` aside, the parser's yes must be the schema's yes.
        if (!parserAccepts(text, true)) return;
        accepted++;
        expect(validate(data ?? {}), `${text}\n${JSON.stringify(validate.errors, null, 1)}`).toBe(true);
      }),
      { numRuns: 10_000 },
    );
    expect(accepted).toBeGreaterThan(500);
  });

  it("accepts the docs' and the fixtures' sidecars.yml", async () => {
    const files = [
      'fixtures/apps/config-server-app/sidecars.yml',
      ...['README.md', 'docs/sidecars-yml.md', 'docs/run-time.md', 'docs/operators.md'],
    ];
    let count = 0;
    for (const file of files) {
      const text = await readFile(join(REPO_ROOT, file), 'utf8');
      const docs = file.endsWith('.md')
        ? [...text.matchAll(/```yaml\n([\s\S]*?)```/g)]
            .map((m) => m[1] as string)
            .filter((b) => /^(# (operator-)?sidecars\.yml\n)?(sidecars|command):/.test(b))
        : [text];
      for (const doc of docs) {
        expect(schemaAccepts(doc), `${file}:\n${doc}\n${JSON.stringify(validate.errors)}`).toBe(true);
        count++;
      }
    }
    expect(count).toBeGreaterThanOrEqual(5);
  });

  it.each([
    ['an unknown key', 'sidecars:\n  - name: a\n    dependency: x\n    memory: 64M\n    memroy: 64M\n'],
    ['an unknown top-level key', 'sidecar:\n  - name: a\n'],
    ['a list for memory', 'sidecars:\n  - name: a\n    dependency: x\n    memory: [64M]\n'],
    [
      'a string for process_types',
      'sidecars:\n  - name: a\n    dependency: x\n    memory: 64M\n    process_types: web\n',
    ],
    ['a bad name', 'sidecars:\n  - name: my agent\n    dependency: x\n    memory: 64M\n'],
    [
      'an unknown restart policy',
      'sidecars:\n  - name: a\n    dependency: x\n    memory: 64M\n    restart: sometimes\n',
    ],
    [
      'a probe with both tcp and http',
      'sidecars:\n  - name: a\n    dependency: x\n    memory: 64M\n    ready: {tcp: 1, http: "http://localhost/"}\n',
    ],
    [
      'credentials without a service and no when_bound',
      'sidecars:\n  - name: a\n    dependency: x\n    memory: 64M\n    credentials: [{env: {K: k}}]\n',
    ],
    [
      'when_bound with two selectors',
      'sidecars:\n  - name: a\n    dependency: x\n    memory: 64M\n    when_bound: {label: a, tag: b}\n',
    ],
    [
      'an env value that is a map',
      'sidecars:\n  - name: a\n    dependency: x\n    memory: 64M\n    env: {A: {b: c}}\n',
    ],
  ])('refuses %s, as the parser does', (_, text) => {
    expect(parserAccepts(text)).toBe(false);
    expect(schemaAccepts(text)).toBe(false);
  });
});
