/**
 * Accumulates an ONNX graph: nodes in the order they are added (already topological when the caller adds a
 * node after its inputs), initializers, inputs and outputs. Rejects duplicate tensor names early, where the
 * mistake is, rather than at session creation.
 */
import type { Attribute, Dim, OnnxGraph, OnnxTensor, OnnxValueInfo, OnnxNode, TensorData, TensorDataType } from './onnx-proto.js';

/** Builds one OnnxGraph; every method throws Error on a duplicate or unknown tensor name. */
export class GraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];
  private readonly names = new Set<string>();
  private readonly nodeNames = new Set<string>();

  constructor(private readonly name: string) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate tensor name '${name}'`);
    this.names.add(name);
    return name;
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  input(name: string, elemType: TensorDataType, shape: readonly Dim[]): string {
    this.inputs.push({ name: this.claim(name), elemType, shape });
    return name;
  }

  /** Declares an already-produced tensor as a graph output. */
  output(name: string, elemType: TensorDataType, shape: readonly Dim[]): void {
    if (!this.names.has(name)) throw new Error(`output '${name}' is not produced by the graph`);
    this.outputs.push({ name, elemType, shape });
  }

  initializer(name: string, dataType: TensorDataType, dims: readonly number[], data: TensorData): string {
    this.initializers.push({ name: this.claim(name), dataType, dims, data });
    return name;
  }

  floatConst(name: string, dims: readonly number[], values: readonly number[] | Float32Array): string {
    return this.initializer(name, 'float32', dims, Float32Array.from(values));
  }

  int64Const(name: string, values: readonly number[]): string {
    return this.initializer(name, 'int64', [values.length], BigInt64Array.from(values, (v) => BigInt(v)));
  }

  /** Adds a node producing one output named `output`; returns that name. */
  node(opType: string, name: string, inputs: readonly string[], output: string, attributes: readonly Attribute[] = []): string {
    for (const input of inputs) {
      if (input !== '' && !this.names.has(input)) throw new Error(`node ${name} (${opType}) reads unknown tensor '${input}'`);
    }
    if (this.nodeNames.has(name)) throw new Error(`duplicate node name '${name}'`);
    this.nodeNames.add(name);
    this.nodes.push({ name, opType, inputs, outputs: [this.claim(output)], attributes });
    return output;
  }

  build(): OnnxGraph {
    return { name: this.name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs };
  }
}

/** An INTS attribute. */
export const ints = (name: string, value: readonly number[]): Attribute => ({ name, type: 'ints', value });
/** An INT attribute. */
export const int = (name: string, value: number): Attribute => ({ name, type: 'int', value });
