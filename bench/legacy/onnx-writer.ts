/** The hand-written ONNX encoder that protobufjs replaced (src/core/base/onnx before this commit): the baseline of bench/onnx-writer.ts. */
import type { Attribute, OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo, TensorData, TensorDataType } from '../../src/core/base/onnx/onnx-proto.js';

const DATA_TYPE: Record<TensorDataType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, float64: 11 };

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
/** AttributeProto.AttributeType values. */
const ATTR_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function tensorBytes(data: TensorData): Uint8Array {
  // raw_data is little-endian by definition; typed arrays use the host order.
  if (!LITTLE_ENDIAN) throw new Error('ONNX raw_data encoding needs a little-endian host');
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function encodeAttribute(attr: Attribute): Uint8Array {
  const w = new ProtoWriter().string(1, attr.name);
  switch (attr.type) {
    case 'float':
      w.float(2, attr.value);
      break;
    case 'int':
      w.varint(3, attr.value);
      break;
    case 'string':
      w.string(4, attr.value);
      break;
    case 'floats':
      for (const v of attr.value) w.float(7, v);
      break;
    case 'ints':
      for (const v of attr.value) w.varint(8, v);
      break;
  }
  return w.varint(20, ATTR_TYPE[attr.type]).finish();
}

function encodeNode(node: OnnxNode): Uint8Array {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name).string(4, node.opType);
  for (const attr of node.attributes ?? []) w.message(5, encodeAttribute(attr));
  return w.finish();
}

/** Encodes one TensorProto (dims, data_type, name, raw_data). */
function encodeTensor(tensor: OnnxTensor): Uint8Array {
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (count !== tensor.data.length) {
    throw new Error(`tensor ${tensor.name}: dims ${JSON.stringify(tensor.dims)} hold ${count} values, data has ${tensor.data.length}`);
  }
  const w = new ProtoWriter();
  for (const d of tensor.dims) w.varint(1, d);
  w.varint(2, DATA_TYPE[tensor.dataType]).string(8, tensor.name).bytes(9, tensorBytes(tensor.data));
  return w.finish();
}

function encodeValueInfo(info: OnnxValueInfo): Uint8Array {
  const shape = new ProtoWriter();
  for (const d of info.shape) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.varint(1, d);
    else dim.string(2, d);
    shape.message(1, dim.finish());
  }
  const tensorType = new ProtoWriter().varint(1, DATA_TYPE[info.elemType]).message(2, shape.finish());
  const type = new ProtoWriter().message(1, tensorType.finish());
  return new ProtoWriter().string(1, info.name).message(2, type.finish()).finish();
}

function encodeGraph(graph: OnnxGraph): Uint8Array {
  const w = new ProtoWriter();
  for (const node of graph.nodes) w.message(1, encodeNode(node));
  w.string(2, graph.name);
  for (const t of graph.initializers) w.message(5, encodeTensor(t));
  for (const i of graph.inputs) w.message(11, encodeValueInfo(i));
  for (const o of graph.outputs) w.message(12, encodeValueInfo(o));
  return w.finish();
}

/** Serialises a model to the bytes of an `.onnx` file. */
export function encodeModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter()
    .varint(1, model.irVersion)
    .string(2, model.producerName)
    .string(3, model.producerVersion);
  if (model.docString !== undefined) w.string(6, model.docString);
  w.message(7, encodeGraph(model.graph));
  w.message(8, new ProtoWriter().string(1, '').varint(2, model.opsetVersion).finish());
  const metadata = model.metadata ?? {};
  for (const key of Object.keys(metadata).sort()) {
    w.message(14, new ProtoWriter().string(1, key).string(2, metadata[key] ?? '').finish());
  }
  return w.finish();
}
