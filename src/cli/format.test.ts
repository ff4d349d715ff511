import { describe, expect, it } from 'vitest';
import { printable } from './format.js';

describe('printable', () => {
  it('escapes line breaks, tabs and other control characters', () => {
    expect(printable('a\nb\r\tc\x1b[31md\x00\x7f\x85')).toBe('a\\nb\\r\\tc\\x1b[31md\\x00\\x7f\\x85');
  });

  it('escapes bidirectional overrides, isolates and marks, and the Unicode line separators', () => {
    expect(printable('photo\u202Egpj.exe')).toBe('photo\\u202egpj.exe');
    expect(printable('\u2066\u2067\u2068\u2069\u202A\u202B\u202C\u202D\u200E\u200F\u061C\u2028\u2029')).toBe(
      '\\u2066\\u2067\\u2068\\u2069\\u202a\\u202b\\u202c\\u202d\\u200e\\u200f\\u061c\\u2028\\u2029',
    );
  });

  it('leaves ordinary text, accents, other scripts and emoji as they are', () => {
    const text = '/Fotos/Été 2024/シャツ — 👩‍👧 [A-100] 50%.jpg';
    expect(printable(text)).toBe(text);
  });
});
