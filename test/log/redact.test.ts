import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSidecarsDocument } from '../../src/config/parse.js';
import type { UserError } from '../../src/errors.js';
import { Logger } from '../../src/log/logger.js';
import { redact, redactUrls, urlSecrets } from '../../src/log/redact.js';

describe('redaction', () => {
  it('hides user-info and query values of every URL in a line', () => {
    expect(
      redactUrls('get https://bob:s3cret@h.com/a.tgz?X-Amz-Signature=abc&v=1: HTTP 403 and http://h2/b'),
    ).toBe('get https://***@h.com/a.tgz?X-Amz-Signature=***&v=***: HTTP 403 and http://h2/b');
  });

  it('hides registered secrets wherever they appear', () => {
    expect(redact('token is tok-12345 (tok-12345)', ['tok-12345'])).toBe('token is *** (***)');
  });

  it('applies to every logger line, debug included', () => {
    const lines: string[] = [];
    const log = new Logger({ write: (t) => void lines.push(t) }, true);
    log.addSecret('hunter22');
    log.header('from https://u:hunter22@h/x');
    log.detail('pw hunter22');
    log.warning('hunter22');
    log.error('hunter22');
    log.debug('hunter22');
    expect(lines.join('')).not.toContain('hunter22');
    expect(lines).toEqual([
      '-----> from https://***@h/x\n',
      '       pw ***\n',
      '       **WARNING** ***\n',
      '       **ERROR** ***\n',
      '       DEBUG: ***\n',
    ]);
  });

  it('prints debug lines only when BP_DEBUG is on', () => {
    const lines: string[] = [];
    new Logger({ write: (t) => void lines.push(t) }).debug('x');
    expect(lines).toEqual([]);
  });
});

describe('redaction of hostile URL forms', () => {
  // Passwords and tokens as people paste them: quotes, a space, angle brackets, colons, @, and
  // percent-encoded; in free text, in quotes, and followed by punctuation.
  const cases = ['p"ss', "p'ss", 'p<ss>', 'pa:ss', 'p@ss', 'p%22ss%20x', 'pa ss'];
  it.each(cases)('hides the password %j of a URL, in the line and as a registered secret', (password) => {
    const url = `https://user:${password}@host.example/agent.tgz`;
    const lines: string[] = [];
    const log = new Logger({ write: (t) => void lines.push(t) });
    for (const secret of urlSecrets(url)) log.addSecret(secret);
    log.error(`could not download ${url}: HTTP 404`);
    log.error(`sidecars.yml: uri "${url}"`);
    const text = lines.join('');
    expect(text).not.toContain(password);
    expect(text).not.toContain(encodeURIComponent(password));
    expect(text).toContain('host.example/agent.tgz');
  });

  it('hides query values that hold quotes, even without registering them', () => {
    expect(redactUrls('GET https://h/a.tgz?token=ab"cd&sig=x\'y<z done')).toBe(
      'GET https://h/a.tgz?token=***&sig=*** done',
    );
    expect(redactUrls('"https://h/a.tgz?t=abc"')).not.toContain('abc');
  });

  it('finds the user-info, password and query values of a URL, decoded and encoded', () => {
    expect(urlSecrets('https://bob:p%40ss@h/x?t=tok1234&u=1')).toEqual(
      expect.arrayContaining(['bob:p%40ss', 'p%40ss', 'p@ss', 'tok1234']),
    );
  });
});

describe('log lines the app cannot forge', () => {
  it('escapes control characters and indents a message’s later lines', () => {
    const lines: string[] = [];
    const log = new Logger({ write: (t) => void lines.push(t) });
    log.error('sidecars.yml: bad key "a\n-----> Installed\r\x1b[2K"');
    expect(lines).toEqual([
      '       **ERROR** sidecars.yml: bad key "a\n       -----> Installed\\r\\x1b[2K"\n',
    ]);
  });

  it('escapes what a viewer may take for a line break or a control sequence, or reorder, or not show', () => {
    const lines: string[] = [];
    const log = new Logger({ write: (t) => void lines.push(t) });
    log.error('NEL\u0085-----> x CSI\u009b2K LS\u2028PS\u2029 RLO\u202egnp.exe sha\u200bsum BOM\ufeff é ü ✓');
    expect(lines).toEqual([
      '       **ERROR** NEL\\x85-----> x CSI\\x9b2K LS\\u2028PS\\u2029 RLO\\u202egnp.exe sha\\u200bsum BOM\\ufeff é ü ✓\n',
    ]);
  });
});

describe('an invisible character in a value', () => {
  it('shows in the error line: a sha256 with a U+200B in it', () => {
    const sha = `${'a'.repeat(32)}\u200b${'a'.repeat(31)}`;
    const doc = `sidecars:\n  - name: x\n    uri: https://h/x.tgz\n    sha256: ${sha}\n    command: ./x\n    memory: 64M\n`;
    const error = (() => {
      try {
        parseSidecarsDocument(doc, 'sidecars.yml');
      } catch (e) {
        return e as UserError;
      }
      throw new Error('expected a UserError');
    })();
    const lines: string[] = [];
    new Logger({ write: (t) => void lines.push(t) }).error(error.describe());
    expect(lines.join('')).toContain(
      `"${'a'.repeat(32)}\\u200b${'a'.repeat(31)}" is not a sha256 (64 hex characters)`,
    );
  });
});

describe('redaction, as a property', () => {
  // Any password and token (letters, digits, quotes, spaces, angle brackets, `@`, `:`, `%`, `=`),
  // in a uri registered as supply registers it: no log line shows them, whichever way the line
  // quotes the uri. (`/ ? #` end the user-info and `& #` a query value: there they are encoded.)
  it('never prints a uri’s password or query token', () => {
    const text = (chars: string) =>
      fc.string({ unit: fc.constantFrom(...chars.split('')), minLength: 6, maxLength: 24 });
    const password = text('abcXYZ019"\'<> @:%=.');
    const token = text('abcXYZ019"\'<> @:%=./?');
    fc.assert(
      fc.property(password, token, (password, token) => {
        const url = `https://user:${password}@deps.example/agent.tgz?token=${token}`;
        const lines: string[] = [];
        const log = new Logger({ write: (t) => void lines.push(t) });
        for (const s of urlSecrets(url)) log.addSecret(s);
        log.error(`could not download ${url}: HTTP 404`);
        log.detail(`uri "${url}"`);
        const logged = lines.join('');
        const distinctive = (s: string) =>
          s.length >= 6 &&
          !'https://user:@deps.example/agent.tgz?token= HTTP 404 could not download uri'.includes(s);
        if (distinctive(password)) expect(logged).not.toContain(password);
        if (distinctive(token)) expect(logged).not.toContain(token);
      }),
      { numRuns: 300 },
    );
  });
});
