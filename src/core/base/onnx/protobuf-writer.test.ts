import { describe, expect, it } from 'vitest';
import { encodeVarint, ProtoWriter } from './protobuf-writer.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('encodeVarint', () => {
  it.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [2 ** 32, '8080808010'],
  ])('encodes %d as %s', (value, expected) => {
    expect(hex(encodeVarint(value))).toBe(expected);
  });

  it('encodes negative int64 as ten two’s-complement bytes', () => {
    expect(hex(encodeVarint(-1))).toBe('ffffffffffffffffff01');
    expect(hex(encodeVarint(-2n))).toBe('feffffffffffffffff01');
  });

  it('rejects unsafe integers instead of silently rounding them', () => {
    expect(() => encodeVarint(2 ** 60)).toThrow(RangeError);
  });
});

describe('ProtoWriter', () => {
  it('writes tags, varints, fixed32 floats and length-delimited fields in call order', () => {
    const bytes = new ProtoWriter().varint(1, 150).string(2, 'hi').float(3, 1).finish();
    // 08 96 01 | 12 02 'h' 'i' | 1d 00 00 80 3f
    expect(hex(bytes)).toBe('089601' + '12026869' + '1d0000803f');
  });

  it('embeds a finished message with its length prefix', () => {
    const inner = new ProtoWriter().varint(1, 1).finish();
    const outer = new ProtoWriter().message(5, inner).finish();
    expect(hex(outer)).toBe('2a020801');
  });

  it('reports its length before finishing', () => {
    const w = new ProtoWriter().bytes(1, new Uint8Array(200));
    expect(w.length).toBe(1 + 2 + 200);
    expect(w.finish().length).toBe(203);
  });
});
