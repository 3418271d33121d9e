import { describe, expect, it } from 'vitest';
import { proxyFor } from '../../src/dependencies/proxy.js';

const url = (u: string) => new URL(u);

describe('proxyFor', () => {
  it('picks the proxy by scheme, from either case', () => {
    const env = { HTTP_PROXY: 'http://p1:3128', https_proxy: 'p2:3128' };
    expect(proxyFor(url('http://a.com/x'), env)).toBe('http://p1:3128');
    expect(proxyFor(url('https://a.com/x'), env)).toBe('http://p2:3128');
  });

  it.each([
    ['*', 'https://a.example.com/x', undefined],
    ['example.com', 'https://a.example.com/x', undefined],
    ['.example.com', 'https://example.com/x', undefined],
    ['example.com:8443', 'https://example.com/x', 'http://p:1'],
    ['example.com:443', 'https://example.com/x', undefined],
    ['other.com, 10.0.0.1', 'https://example.com/x', 'http://p:1'],
    ['notexample.com', 'https://example.com/x', 'http://p:1'],
  ])('NO_PROXY=%j for %s', (noProxy, target, expected) => {
    expect(proxyFor(url(target), { https_proxy: 'http://p:1', NO_PROXY: noProxy })).toBe(expected);
  });

  it('goes direct without any proxy variable', () => {
    expect(proxyFor(url('https://a.com'), {})).toBeUndefined();
  });
});
