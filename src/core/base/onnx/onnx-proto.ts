/**
 * The subset of onnx.proto the converter emits (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto), as plain data plus one encoder. Field numbers are those of onnx/onnx.proto (IR version 8).
 */
import { ProtoWriter } from './protobuf-writer.js';

export type TensorDataType = 'float32' | 'float64' | 'uint8' | 'int32' | 'int64';

/** TensorProto.DataType values. */
const DATA_TYPE: Record<TensorDataType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, float64: 11 };

export type Attribute =
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'ints'; value: readonly number[] }
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'floats'; value: readonly number[] }
  | { name: string; type: 'string'; value: string };

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: readonly Attribute[];
}

export type TensorData = Float32Array | Float64Array | Uint8Array | Int32Array | BigInt64Array;

export interface OnnxTensor {
  name: string;
  dataType: TensorDataType;
  dims: readonly number[];
  data: TensorData;
}

/** A dimension is a fixed size or a symbolic name such as 'batch'. */
export type Dim = number | string;

export interface OnnxValueInfo {
  name: string;
  elemType: TensorDataType;
  shape: readonly Dim[];
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  /** Version of the default ('ai.onnx') operator set. */
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: OnnxGraph;
  /** Written sorted by key so that the bytes never depend on insertion order. */
  metadata?: Readonly<Record<string, string>>;
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
export function encodeTensor(tensor: OnnxTensor): Uint8Array {
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
