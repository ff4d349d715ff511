/**
 * A minimal protocol-buffers encoder: just the wire types ONNX needs (varint, fixed32, length-delimited).
 * Hand-written so that the converter has no dependency and its output is byte-for-byte reproducible:
 * fields are written in the order the caller writes them, nothing else.
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Encodes an unsigned or signed 64-bit integer as a varint (negative numbers take ten bytes, as protobuf's int64). */
export function encodeVarint(value: number | bigint): Uint8Array {
  let v = typeof value === 'bigint' ? value : BigInt(value);
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RangeError(`varint needs a safe integer, got ${value}`);
  }
  if (v < 0n) v = BigInt.asUintN(64, v);
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Uint8Array.from(bytes);
}

/** Accumulates one message's fields; `finish()` returns its bytes (without its own length prefix). */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  private tag(field: number, wire: number): void {
    this.push(encodeVarint(field * 8 + wire));
  }

  /** int32, int64, uint64, enum and bool fields. */
  varint(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.push(encodeVarint(value));
    return this;
  }

  /** A float field (wire type fixed32, little-endian IEEE-754 single). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.push(encodeVarint(value.length));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** An embedded message, given as the bytes another writer finished. */
  message(field: number, value: Uint8Array): this {
    return this.bytes(field, value);
  }

  get length(): number {
    return this.size;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}
