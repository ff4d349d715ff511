/**
 * IEEE 754 half-precision codec for stored embeddings (little-endian, 2 bytes per component). Halving the
 * catalog's size costs at most ~1e-3 relative error per component, far below what changes a ranking.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds one float to the nearest half (ties to even) and returns its 16 bits. */
export function toHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half += 1;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half += 1;
  return sign | half;
}

/** The float a half's 16 bits stand for. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m !== 0 ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

let decodeTable: Float32Array | undefined;

/** Encodes a vector as f16 little-endian bytes. */
export function encodeF16(vector: ArrayLike<number>): Buffer {
  const out = Buffer.allocUnsafe(vector.length * 2);
  for (let i = 0; i < vector.length; i++) out.writeUInt16LE(toHalfBits(vector[i]!), i * 2);
  return out;
}

/**
 * Decodes f16 little-endian bytes into `out` (or a new array) starting at `offset`.
 * @throws Error when the byte length is odd.
 */
export function decodeF16(bytes: Uint8Array, out?: Float32Array, offset = 0): Float32Array {
  if (bytes.length % 2 !== 0) throw new Error(`An f16 vector needs an even byte length, got ${bytes.length}.`);
  const n = bytes.length / 2;
  const target = out ?? new Float32Array(n);
  if (!decodeTable) {
    decodeTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) decodeTable[h] = fromHalfBits(h);
  }
  for (let i = 0; i < n; i++) target[offset + i] = decodeTable[bytes[2 * i]! | (bytes[2 * i + 1]! << 8)]!;
  return target;
}
