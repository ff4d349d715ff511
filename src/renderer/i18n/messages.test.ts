import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../shared/errors';
import { en } from './en';
import { zhCN } from './zh-CN';

type Tree = { [key: string]: unknown };

/** Flattens to `path → value`, so both languages can be compared key by key. */
function leaves(tree: Tree, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(tree)) {
    if (v && typeof v === 'object') for (const [kk, vv] of leaves(v as Tree, `${prefix}${k}.`)) out.set(kk, vv);
    else out.set(`${prefix}${k}`, v);
  }
  return out;
}

describe('UI strings', () => {
  const a = leaves(en);
  const b = leaves(zhCN as unknown as Tree);

  it('has the same keys in English and Simplified Chinese', () => {
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  });

  it('has no empty string and the same arguments for every message function', () => {
    for (const [key, value] of a) {
      const other = b.get(key);
      expect(typeof other, key).toBe(typeof value);
      if (typeof value === 'string') expect((other as string).trim(), key).not.toBe('');
      if (typeof value === 'function') {
        expect((other as (...x: unknown[]) => unknown).length, key).toBe(value.length);
        const args = Array.from({ length: value.length }, (_, i) => i + 2);
        expect(String((other as (...x: number[]) => string)(...args)), key).not.toBe('');
      }
    }
  });

  it('explains every error code in plain words, in both languages', () => {
    for (const code of ERROR_CODES) {
      expect(en.errors[code], code).toMatch(/\w/);
      expect(zhCN.errors[code], code).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});
