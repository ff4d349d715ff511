import { describe, expect, it } from 'vitest';
import { decodeF16, encodeF16, fromHalfBits, toHalfBits } from './f16.js';

describe('f16 codec', () => {
  it('encodes exactly representable values exactly', () => {
    for (const v of [0, 1, -1, 0.5, 2, 65504, -65504, 2 ** -14, 2 ** -24, 0.0999755859375]) {
      expect(fromHalfBits(toHalfBits(v))).toBe(v);
    }
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(2 ** -24)).toBe(0x0001);
  });

  it('rounds to nearest, ties to even, and saturates to infinity', () => {
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie → even (down)
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(toHalfBits(1e6)).toBe(0x7c00);
    expect(toHalfBits(-1e6)).toBe(0xfc00);
    expect(toHalfBits(1e-10)).toBe(0);
    expect(Number.isNaN(fromHalfBits(toHalfBits(Number.NaN)))).toBe(true);
  });

  it('round-trips a unit vector within half precision', () => {
    const v = new Float32Array(512).map((_, i) => Math.sin(i * 0.37) / 16);
    const back = decodeF16(encodeF16(v));
    expect(back).toHaveLength(512);
    for (let i = 0; i < v.length; i++) expect(Math.abs(back[i]! - v[i]!)).toBeLessThanOrEqual(Math.abs(v[i]!) * 2 ** -11 + 2 ** -25);
  });

  it('decodes into an offset of a shared buffer and rejects odd lengths', () => {
    const out = new Float32Array(6);
    decodeF16(encodeF16([1, 2, 3]), out, 3);
    expect([...out]).toEqual([0, 0, 0, 1, 2, 3]);
    expect(() => decodeF16(new Uint8Array(3))).toThrow(/even byte length/);
  });
});
