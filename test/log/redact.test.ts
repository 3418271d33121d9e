import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/log/logger.js';
import { redact, redactUrls } from '../../src/log/redact.js';

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
    const log = new Logger({ write: (t) => void lines.push(t) }, undefined, true);
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
      '**WARNING** ***\n',
      '**ERROR** ***\n',
      'DEBUG: ***\n',
    ]);
  });

  it('prints debug lines only when BP_DEBUG is on', () => {
    const lines: string[] = [];
    new Logger({ write: (t) => void lines.push(t) }).debug('x');
    expect(lines).toEqual([]);
  });
});
