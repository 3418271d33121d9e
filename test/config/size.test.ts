import { describe, expect, it } from 'vitest';
import { formatMb, parseSizeMb } from '../../src/config/size.js';

describe('parseSizeMb', () => {
  it.each([
    ['256', 256],
    ['256M', 256],
    ['256MB', 256],
    ['256m', 256],
    ['1G', 1024],
    ['1GB', 1024],
    ['1.5G', 1536],
    [' 64 M ', 64],
    ['512K', 1],
    [128, 128],
  ])('reads %j as %d MB', (input, mb) => {
    expect(parseSizeMb(input)).toBe(mb);
  });

  it.each(['lots', '', '12Q', '-5M', 'M', '1.2.3G'])('refuses %j', (input) => {
    expect(parseSizeMb(input)).toBeUndefined();
  });

  it('refuses a fractional number of megabytes given as a number', () => {
    expect(parseSizeMb(1.5)).toBeUndefined();
  });
});

describe('formatMb', () => {
  it('prints whole gigabytes as G and the rest as M', () => {
    expect(formatMb(1024)).toBe('1G');
    expect(formatMb(1536)).toBe('1536M');
    expect(formatMb(64)).toBe('64M');
  });
});
