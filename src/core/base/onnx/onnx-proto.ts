/**
 * The subset of onnx.proto the converter emits (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto), as plain data plus one encoder. The wire format is protobufjs's; the schema below copies the
 * names and field numbers of onnx/onnx.proto (IR version 8) for the fields written here. protobufjs writes known
 * fields in field-number order and proto2 repeated scalars unpacked, so the bytes are those of any conforming
 * writer, and those of the hand-written encoder this replaced (README, "Libraries weighed against hand-written code").
 */
import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';

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

/**
 * onnx/onnx.proto's messages, cut down to the fields this encoder fills; names, numbers and `syntax` as upstream
 * (proto2: repeated scalars are not packed, and a set field is written even when it holds its default).
 */
const ONNX_PROTO = `
syntax = "proto2";
package onnx;
message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}
message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
}
message AttributeProto {
  optional string name = 1;
  optional int32 type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  repeated float floats = 7;
  repeated int64 ints = 8;
}
message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional string name = 8;
  optional bytes raw_data = 9;
}
message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
}
message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
}
message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
  }
  repeated Dimension dim = 1;
}
`;

let modelType: protobuf.Type | undefined;

/**
 * protobufjs is loaded on the first encode, not at import: linalg.ts sits on the app's start-up path, and loading
 * protobufjs there added 0.1–0.3 s to every cold start (two loaded cores) for a writer most runs never call.
 */
function loadProtobuf(): typeof protobuf {
  return createRequire(import.meta.url)('protobufjs') as typeof protobuf;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function tensorBytes(data: TensorData): Uint8Array {
  // raw_data is little-endian by definition; typed arrays use the host order.
  if (!LITTLE_ENDIAN) throw new Error('ONNX raw_data encoding needs a little-endian host');
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function attributeMessage(attr: Attribute): object {
  const type = ATTR_TYPE[attr.type];
  switch (attr.type) {
    case 'float':
      return { name: attr.name, f: attr.value, type };
    case 'int':
      return { name: attr.name, i: attr.value, type };
    case 'string':
      return { name: attr.name, s: new TextEncoder().encode(attr.value), type };
    case 'floats':
      return { name: attr.name, floats: attr.value, type };
    case 'ints':
      return { name: attr.name, ints: attr.value, type };
  }
}

function tensorMessage(tensor: OnnxTensor): object {
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (count !== tensor.data.length) {
    throw new Error(`tensor ${tensor.name}: dims ${JSON.stringify(tensor.dims)} hold ${count} values, data has ${tensor.data.length}`);
  }
  return { dims: tensor.dims, dataType: DATA_TYPE[tensor.dataType], name: tensor.name, rawData: tensorBytes(tensor.data) };
}

function valueInfoMessage(info: OnnxValueInfo): object {
  const dim = info.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: info.name, type: { tensorType: { elemType: DATA_TYPE[info.elemType], shape: { dim } } } };
}

/**
 * Serialises a model to the bytes of an `.onnx` file.
 * @throws Error when an initializer's data does not hold the values its dims say.
 */
export function encodeModel(model: OnnxModel): Uint8Array {
  const { graph } = model;
  const metadata = model.metadata ?? {};
  const message = {
    irVersion: model.irVersion,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    ...(model.docString === undefined ? {} : { docString: model.docString }),
    graph: {
      node: graph.nodes.map((n) => ({
        input: n.inputs,
        output: n.outputs,
        name: n.name,
        opType: n.opType,
        attribute: (n.attributes ?? []).map(attributeMessage),
      })),
      name: graph.name,
      initializer: graph.initializers.map(tensorMessage),
      input: graph.inputs.map(valueInfoMessage),
      output: graph.outputs.map(valueInfoMessage),
    },
    // The default operator set is named by the empty domain; proto2 writes it although it is the default.
    opsetImport: [{ domain: '', version: model.opsetVersion }],
    metadataProps: Object.keys(metadata)
      .sort()
      .map((key) => ({ key, value: metadata[key] ?? '' })),
  };
  modelType ??= loadProtobuf().parse(ONNX_PROTO).root.lookupType('onnx.ModelProto');
  return modelType.encode(message).finish();
}
