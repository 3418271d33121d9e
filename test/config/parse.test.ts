import { describe, expect, it } from 'vitest';
import { mergeDocuments, loadAppConfig } from '../../src/config/load.js';
import { parseSidecarsDocument } from '../../src/config/parse.js';
import { UserError, UserErrors } from '../../src/errors.js';
import { writeTree } from '../support/archives.js';

const SHA = 'b'.repeat(64);

function errorOf(text: string, file = 'sidecars.yml'): string {
  try {
    parseSidecarsDocument(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as UserError).describe();
  }
  throw new Error('expected a UserError');
}

describe('parseSidecarsDocument', () => {
  it('normalises the documented example', () => {
    const doc = parseSidecarsDocument(
      [
        'sidecars:',
        '  - name: config-server',
        '    dependency: config-server',
        '    version: 1.x',
        '    command: ./config-server',
        '    process_types: [web]',
        '    memory: 256M',
        '    env:',
        '      CONFIG_SERVER_PORT: 8082',
        '  - name: otel',
        `    uri: https://example.com/otelcol_0.135.0_linux_amd64.tar.gz`,
        `    sha256: ${SHA.toUpperCase()}`,
        '    command: ./otelcol --config "$HOME/otel.yaml"',
        '    process_types: [web, worker]',
        '    memory: 1G',
        'command: ./my-app',
      ].join('\n'),
      'sidecars.yml',
    );
    expect(doc.command).toBe('./my-app');
    expect(doc.sidecars).toEqual([
      {
        name: 'config-server',
        source: { kind: 'dependency', dependency: 'config-server', version: '1.x' },
        command: './config-server',
        processTypes: ['web'],
        memoryMb: 256,
        env: { CONFIG_SERVER_PORT: '8082' },
        origin: { file: 'sidecars.yml', line: 2 },
      },
      {
        name: 'otel',
        source: { kind: 'uri', uri: 'https://example.com/otelcol_0.135.0_linux_amd64.tar.gz', sha256: SHA },
        command: './otelcol --config "$HOME/otel.yaml"',
        processTypes: ['web', 'worker'],
        memoryMb: 1024,
        env: {},
        origin: { file: 'sidecars.yml', line: 10 },
      },
    ]);
  });

  it('reads an app manifest sidecars: entry unchanged as a sidecar in the app files', () => {
    const doc =
      "sidecars:\n- name: config-server\n  process_types: [ 'web' ]\n  command: ./config-server\n  memory: 256MB\n";
    expect(parseSidecarsDocument(doc, 'sidecars.yml').sidecars).toEqual([
      {
        name: 'config-server',
        source: { kind: 'app' },
        command: './config-server',
        processTypes: ['web'],
        memoryMb: 256,
        env: {},
        origin: { file: 'sidecars.yml', line: 2 },
      },
    ]);
  });

  it('accepts an empty document', () => {
    expect(parseSidecarsDocument('', 'sidecars.yml')).toEqual({ sidecars: [] });
  });

  describe('failure cases', () => {
    it.each([
      [
        'a bad size',
        'sidecars:\n  - name: a\n    dependency: x\n    memory: lots\n',
        'sidecars.yml:4: sidecars[0].memory: "lots" is not a size like 256M',
      ],
      [
        'zero memory',
        'sidecars:\n  - name: a\n    dependency: x\n    memory: 0\n',
        'sidecars[0].memory: "0" must be more than 0',
      ],
      [
        'negative memory',
        'sidecars:\n  - name: a\n    dependency: x\n    memory: -5M\n',
        'is not a size like 256M',
      ],
      [
        'absurd memory',
        'sidecars:\n  - name: a\n    dependency: x\n    memory: 100T\n',
        'is more than the 64G',
      ],
      [
        'an unknown key',
        'sidecars:\n  - name: a\n    dependency: x\n    memroy: 1G\n',
        'sidecars.yml:4: sidecars[0].memroy: unknown key; did you mean "memory"?',
      ],
      [
        'an unknown top-level key',
        'sidecar:\n  - name: a\n',
        'sidecars.yml:1: sidecar: unknown key; did you mean "sidecars"?',
      ],
      ['a missing name', 'sidecars:\n  - dependency: x\n', 'sidecars[0].name: is missing'],
      ['a bad name', 'sidecars:\n  - name: "my sidecar"\n    dependency: x\n', 'is not a valid sidecar name'],
      [
        'a too long name',
        `sidecars:\n  - name: ${'a'.repeat(256)}\n    dependency: x\n`,
        'Cloud Controller allows at most 255',
      ],
      [
        'a duplicate name',
        'sidecars:\n  - name: a\n    dependency: x\n  - name: a\n    dependency: y\n',
        'sidecars.yml:4: sidecars[1].name: "a" is used twice (first at line 2)',
      ],
      [
        'both sources',
        `sidecars:\n  - name: a\n    dependency: x\n    uri: https://e.com/a\n`,
        'cannot be combined with "dependency"',
      ],
      [
        'an app-files sidecar without a command',
        'sidecars:\n  - name: a\n    memory: 64M\n',
        'sidecars[0].command: is missing: a sidecar without "dependency" or "uri" runs from the app\'s files',
      ],
      [
        'a sha256 without a uri',
        'sidecars:\n  - name: a\n    command: ./a\n    sha256: abc\n',
        'sidecars[0].sha256: only goes with "uri"',
      ],
      [
        'uri without sha256',
        'sidecars:\n  - name: a\n    uri: https://e.com/a\n    command: ./a\n',
        'sidecars[0].sha256: is missing',
      ],
      [
        'a short sha256',
        'sidecars:\n  - name: a\n    uri: https://e.com/a\n    sha256: abc\n    command: ./a\n',
        'is not a sha256',
      ],
      [
        'an ftp uri',
        `sidecars:\n  - name: a\n    uri: ftp://e.com/a\n    sha256: ${SHA}\n    command: ./a\n`,
        'is not an http(s) URL',
      ],
      [
        'a uri with a tab, which the URL parser would drop',
        `sidecars:\n  - name: a\n    uri: "https:/\\t/e.com/a"\n    sha256: ${SHA}\n    command: ./a\n`,
        'is not an http(s) URL',
      ],
      [
        'a uri without //, which the URL parser would add',
        `sidecars:\n  - name: a\n    uri: https:e.com/a\n    sha256: ${SHA}\n    command: ./a\n`,
        'is not an http(s) URL',
      ],
      [
        'uri without command',
        `sidecars:\n  - name: a\n    uri: https://e.com/a\n    sha256: ${SHA}\n`,
        'sidecars[0].command: is missing',
      ],
      [
        'empty process types',
        'sidecars:\n  - name: a\n    dependency: x\n    process_types: []\n',
        'is empty',
      ],
      [
        'duplicate process types',
        'sidecars:\n  - name: a\n    dependency: x\n    process_types: [web, web]\n',
        '"web" is listed twice',
      ],
      [
        'a bad process type',
        'sidecars:\n  - name: a\n    dependency: x\n    process_types: ["we b"]\n',
        'is not a valid process type',
      ],
      [
        'a bad env name',
        'sidecars:\n  - name: a\n    dependency: x\n    env:\n      1BAD: x\n',
        'is not a valid environment variable name',
      ],
      [
        'a nested env value',
        'sidecars:\n  - name: a\n    dependency: x\n    env:\n      A: {b: c}\n',
        'sidecars[0].env.A: expected a string, got a map',
      ],
      ['sidecars not a list', 'sidecars: yes\n', 'sidecars: expected a list'],
      ['a tab indent', 'sidecars:\n\t- name: a\n', 'sidecars.yml:2: is not valid YAML'],
      [
        'a duplicate key',
        'sidecars:\n  - name: a\n    name: b\n',
        'sidecars.yml:3: is not valid YAML: Map keys must be unique',
      ],
      [
        'an empty command',
        'sidecars:\n  - name: a\n    dependency: x\n    command: "  "\n',
        'sidecars[0].command: is empty',
      ],
      // Wrong types, each named with what was expected and what was found.
      [
        'a number as name',
        'sidecars:\n  - name: 123\n    dependency: x\n',
        'sidecars[0].name: expected a string, got number 123',
      ],
      [
        'a list as name',
        'sidecars:\n  - name: [a]\n    dependency: x\n',
        'sidecars[0].name: expected a string, got a list',
      ],
      [
        'a map as dependency',
        'sidecars:\n  - name: a\n    dependency: {b: c}\n',
        'sidecars[0].dependency: expected a string, got a map',
      ],
      [
        'a number as command',
        'sidecars:\n  - name: a\n    dependency: x\n    command: 42\n',
        'sidecars[0].command: expected a string, got number 42',
      ],
      [
        'a boolean as memory',
        'sidecars:\n  - name: a\n    dependency: x\n    memory: true\n',
        '"true" is not a size like 256M',
      ],
      [
        'a list as memory',
        'sidecars:\n  - name: a\n    dependency: x\n    memory: [1]\n',
        'sidecars[0].memory: expected a string, got a list',
      ],
      [
        'a fractional number as memory',
        'sidecars:\n  - name: a\n    dependency: x\n    memory: 0.5\n',
        '"0.5" is not a size like 256M',
      ],
      [
        'an infinite memory',
        'sidecars:\n  - name: a\n    dependency: x\n    memory: .inf\n',
        'is not a size like 256M',
      ],
      [
        'a negative number as memory',
        'sidecars:\n  - name: a\n    dependency: x\n    memory: -1\n',
        '"-1" must be more than 0',
      ],
      [
        'a huge integer as memory',
        'sidecars:\n  - name: a\n    dependency: x\n    memory: 99999999999999999999\n',
        'is more than the 64G',
      ],
      [
        'a string as process_types',
        'sidecars:\n  - name: a\n    dependency: x\n    process_types: web\n',
        'sidecars[0].process_types: expected a list, got string "web"',
      ],
      [
        'a number among process_types',
        'sidecars:\n  - name: a\n    dependency: x\n    process_types: [web, 7]\n',
        'sidecars[0].process_types[1]: expected a string, got number 7',
      ],
      [
        'a list as env',
        'sidecars:\n  - name: a\n    dependency: x\n    env: [A]\n',
        'sidecars[0].env: expected a map of keys, got a list',
      ],
      ['a map as sidecars', 'sidecars:\n  a: {dependency: x}\n', 'sidecars: expected a list, got a map'],
      ['a list at the top level', '- name: a\n', '(top level): expected a map of keys, got a list'],
      ['a scalar at the top level', 'just text\n', '(top level): expected a map of keys, got string'],
      [
        'a number as sha256',
        `sidecars:\n  - name: a\n    uri: https://e.com/a\n    sha256: 123\n    command: ./a\n`,
        'is not a sha256',
      ],
      [
        'a NUL in the command',
        'sidecars:\n  - name: a\n    dependency: x\n    command: "./a\\0b"\n',
        'sidecars[0].command: contains a NUL character',
      ],
      [
        'a NUL in an env value',
        'sidecars:\n  - name: a\n    dependency: x\n    env:\n      A: "x\\0"\n',
        'sidecars[0].env.A: contains a NUL character',
      ],
      [
        'an alias, which is never expanded (no alias bombs)',
        'sidecars:\n  - &s {name: a, dependency: x}\n  - *s\n',
        'sidecars.yml:3: sidecars[1]: expected a map of keys, got an alias (*s); write the value out',
      ],
      ['two documents', 'sidecars: []\n---\nsidecars: []\n', 'holds more than one YAML document'],
    ])('refuses %s', (_what, text, message) => {
      expect(errorOf(text)).toContain(message);
    });

    it('names the env var when the document came from SIDECARS_YML', () => {
      expect(
        errorOf('sidecars:\n  - name: a\n    dependency: x\n    memory: lots\n', '$SIDECARS_YML'),
      ).toContain('$SIDECARS_YML:4: sidecars[0].memory');
    });
  });
});

describe('merging sidecars.yml and $SIDECARS_YML', () => {
  it('lets the env document replace a sidecar of the same name and add new ones', () => {
    const file = parseSidecarsDocument(
      'command: ./a\nsidecars:\n  - name: one\n    dependency: x\n    memory: 64M\n  - name: two\n    dependency: y\n',
      'sidecars.yml',
    );
    const env = parseSidecarsDocument(
      'sidecars:\n  - name: two\n    dependency: z\n    memory: 32M\n  - name: three\n    dependency: w\n',
      '$SIDECARS_YML',
    );
    const merged = mergeDocuments([file, env]);
    expect(merged.command).toBe('./a');
    expect(
      merged.sidecars.map((s) => [s.name, s.source.kind === 'dependency' && s.source.dependency, s.memoryMb]),
    ).toEqual([
      ['one', 'x', 64],
      ['two', 'z', 32],
      ['three', 'w', undefined],
    ]);
  });

  it('reads both sources from the app dir and the env', async () => {
    const app = await writeTree({ 'sidecars.yml': 'sidecars:\n  - name: one\n    dependency: x\n' });
    const config = await loadAppConfig(app, { SIDECARS_YML: 'command: ./run\n' });
    expect(config?.sources).toEqual(['sidecars.yml', '$SIDECARS_YML']);
    expect(config?.command).toBe('./run');
    expect(config?.sidecars).toHaveLength(1);
  });

  it('refuses sidecars.yml and sidecars.yaml side by side', async () => {
    const app = await writeTree({ 'sidecars.yml': '', 'sidecars.yaml': '' });
    await expect(loadAppConfig(app, {})).rejects.toThrow('both sidecars.yml and sidecars.yaml exist');
  });

  it('returns nothing for an app without either', async () => {
    expect(await loadAppConfig(await writeTree({ 'app.py': '' }), {})).toBeUndefined();
  });
});

describe('env keeps what the app wrote', () => {
  it('keeps the source text of plain scalars YAML would convert, keys included', () => {
    const doc = parseSidecarsDocument(
      [
        'sidecars:',
        '  - name: a',
        `    uri: https://example.com/a.tgz`,
        `    sha256: ${SHA}`,
        '    command: ./a',
        '    memory: 64M',
        '    env:',
        '      HEX: 0x1F',
        '      MODE: 0755',
        '      SCI: 1e3',
        '      BIG: 12345678901234567890',
        '      TRUE: yes',
        '      FLOAT: 1.50',
        '      QUOTED: "0755"',
      ].join('\n'),
      'sidecars.yml',
    );
    expect(doc.sidecars[0]?.env).toEqual({
      HEX: '0x1F',
      MODE: '0755',
      SCI: '1e3',
      BIG: '12345678901234567890',
      TRUE: 'yes',
      FLOAT: '1.50',
      QUOTED: '0755',
    });
  });

  it('quotes a key with a newline or an escape code in its one-line error', () => {
    const message = errorOf(
      [
        'sidecars:',
        '  - name: a',
        '    dependency: agent',
        '    memory: 64M',
        '    env:',
        '      "A\\n-----> Installed\\u001b[2K": x',
      ].join('\n'),
    );
    expect(message).toBe(
      'sidecars.yml:6: sidecars[0].env."A\\n-----> Installed\\u001b[2K": is not a valid environment variable name (letters, digits and _, not starting with a digit)',
    );
    expect(message).not.toContain('\n');
  });
});

describe('text the YAML reader would misread', () => {
  const entry = [
    'sidecars:',
    '  - name: a',
    '    command: ./a',
    '    uri: https://h/a.tgz',
    `    sha256: ${SHA}`,
    '    memory: 64M',
  ];

  it.each([
    [
      'two documents',
      'sidecars: []\n---\nsidecars: []\n',
      'sidecars.yml:2: holds more than one YAML document (a `---` line starts another): give one',
    ],
    [
      'brackets nested 20,000 deep',
      `sidecars: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`,
      'sidecars.yml: nests lists or maps too deeply for the YAML reader',
    ],
    [
      'CR-only line ends',
      entry.join('\r'),
      'sidecars.yml:1: has CR-only line ends (as old Mac editors saved them); YAML needs LF or CRLF',
    ],
    [
      'U+FFFD (bytes that were not UTF-8)',
      entry.join('\n').replace('./a', './caf\ufffd'),
      'sidecars.yml:3: holds U+FFFD, the character that stands for bytes that were not UTF-8',
    ],
  ])('%s: one clear line, never a library function or a stack overflow', (_name, text, message) => {
    expect(errorOf(text).split('\n')[0]).toBe(message);
  });

  it('still reads CRLF line ends', () => {
    expect(parseSidecarsDocument(entry.join('\r\n'), 'sidecars.yml').sidecars[0]?.command).toBe('./a');
  });

  it.each([
    [
      'UTF-16 with a byte order mark',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(entry.join('\n'), 'utf16le')]),
      'sidecars.yml: is UTF-16 (or holds NUL bytes); it must be UTF-8',
    ],
    [
      'Latin-1',
      Buffer.from(entry.join('\n').replace('./a', './caf\u00e9'), 'latin1'),
      'sidecars.yml:3: is not UTF-8: byte 0xE9 cannot start or continue a UTF-8 character (Latin-1 or Windows-1252?)',
    ],
  ])('refuses a sidecars.yml in %s, naming the encoding', async (_name, bytes, message) => {
    const app = await writeTree({ 'sidecars.yml': { content: bytes } });
    const error = await loadAppConfig(app, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).describe().split('\n')[0]).toBe(message);
  });

  it('reads UTF-8 with a byte order mark', async () => {
    const app = await writeTree({
      'sidecars.yml': { content: Buffer.from(`\ufeff${entry.join('\n')}`, 'utf8') },
    });
    expect((await loadAppConfig(app, {}))?.sidecars[0]?.name).toBe('a');
  });
});

describe('a file with several mistakes', () => {
  it('reports every one, in the order of the file, each with its line, key and expectation', () => {
    const text = [
      'sidecars:',
      '  - name: agent',
      '    dependency: otelcol',
      '    memory: lots',
      '    restart: sometimes',
      '  - name: Bad Name',
      '    uri: https://h/x.tgz',
      '    sha256: abc',
      '    command: ./x',
      '    memory: 64M',
      '    colour: blue',
      '  - name: proxy',
      '    dependency: envoy',
      '    memory: 64M',
      '    priority: urgent',
    ].join('\n');
    let error: unknown;
    try {
      parseSidecarsDocument(text, 'sidecars.yml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserErrors);
    const lines = (error as UserErrors).errors.map((e) => e.describe());
    expect(lines).toHaveLength(6);
    expect(lines.map((l) => /^sidecars\.yml:(\d+): (\S+)/.exec(l)?.slice(1, 3).join(' '))).toEqual([
      '4 sidecars[0].memory:',
      '5 sidecars[0].restart:',
      '6 sidecars[1].name:',
      '8 sidecars[1].sha256:',
      '11 sidecars[1].colour:',
      '15 sidecars[2].priority:',
    ]);
  });

  it('is one error as before when there is one mistake', () => {
    let error: unknown;
    try {
      parseSidecarsDocument('sidecars:\n  - name: a\n    dependency: x\n    memory: lots\n', 'f');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect(error).not.toBeInstanceOf(UserErrors);
  });
});
