/** Round-trips hand-encoded graphs through the real ONNX Runtime: if the encoding were wrong, it would not load. */
import ort from '../onnx-runtime.js';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, int, ints } from './graph-builder.js';
import { encodeModel, type OnnxModel } from './onnx-proto.js';

function model(graph: GraphBuilder, metadata?: Record<string, string>): OnnxModel {
  return { irVersion: 8, opsetVersion: 17, producerName: 'test', producerVersion: '1', graph: graph.build(), ...(metadata ? { metadata } : {}) };
}

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    return (await session.run(feeds)) as Record<string, ort.Tensor>;
  } finally {
    await session.release();
  }
}

describe('ONNX encoder', () => {
  it('encodes a MatMul → Add → Relu graph with a symbolic batch that ONNX Runtime runs correctly', async () => {
    const g = new GraphBuilder('dense');
    g.input('x', 'float32', ['batch', 2]);
    const w = g.floatConst('W', [2, 3], [1, 2, 3, -1, -2, -3]);
    const b = g.floatConst('B', [3], [0.5, 0, -10]);
    const y = g.node('MatMul', 'mm', ['x', w], 'xw');
    const z = g.node('Add', 'add', [y, b], 'xwb');
    g.node('Relu', 'relu', [z], 'y');
    g.output('y', 'float32', ['batch', 3]);
    const out = await run(encodeModel(model(g)), { x: new ort.Tensor('float32', Float32Array.from([1, 1, 2, 0]), [2, 2]) });
    // Row 1: [0, 0, 0] + b → relu [0.5, 0, 0]; row 2: [2, 4, 6] + b → [2.5, 4, 0].
    expect(Array.from(out['y']!.data as Float32Array)).toEqual([0.5, 0, 0, 2.5, 4, 0]);
    expect(out['y']!.dims).toEqual([2, 3]);
  });

  it('encodes int, ints and string attributes and int64 initializers (AveragePool, Pad, ReduceMean)', async () => {
    const g = new GraphBuilder('attrs');
    g.input('x', 'float32', [1, 1, 2, 2]);
    const pads = g.int64Const('pads', [0, 0, 1, 1, 0, 0, 1, 1]);
    g.node('Pad', 'pad', ['x', pads], 'padded', [{ name: 'mode', type: 'string', value: 'constant' }]);
    // 3×3 average with count_include_pad = 0 over a 4×4 zero-bordered map: padding must not dilute the mean.
    g.node('AveragePool', 'avg', ['padded'], 'avg', [ints('kernel_shape', [3, 3]), ints('strides', [1, 1]), ints('pads', [1, 1, 1, 1]), int('count_include_pad', 0)]);
    g.node('ReduceMean', 'mean', ['x'], 'mean', [ints('axes', [-2, -1]), int('keepdims', 0)]);
    g.output('padded', 'float32', [1, 1, 4, 4]);
    g.output('avg', 'float32', [1, 1, 4, 4]);
    g.output('mean', 'float32', [1, 1]);
    const out = await run(encodeModel(model(g)), { x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 1, 2, 2]) });
    expect(Array.from(out['padded']!.data as Float32Array)).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
    // Corner (0,0) averages the 4 real pixels of its window (0, 0, 0, 1) → 0.25.
    expect((out['avg']!.data as Float32Array)[0]).toBeCloseTo(0.25, 6);
    expect(Array.from(out['mean']!.data as Float32Array)).toEqual([2.5]);
  });

  it('encodes float scalars used as optional inputs (Clip with min only, Pow)', async () => {
    const g = new GraphBuilder('clip');
    g.input('x', 'float32', [3]);
    const lo = g.floatConst('lo', [], [0.5]);
    const p = g.floatConst('p', [], [2]);
    g.node('Clip', 'clip', ['x', lo], 'clipped');
    g.node('Pow', 'pow', ['clipped', p], 'y');
    g.output('y', 'float32', [3]);
    const out = await run(encodeModel(model(g)), { x: new ort.Tensor('float32', Float32Array.from([-1, 0.5, 3]), [3]) });
    expect(Array.from(out['y']!.data as Float32Array)).toEqual([0.25, 0.25, 9]);
  });

  it('is deterministic: same graph, same bytes; metadata order does not matter', () => {
    const build = (metadata: Record<string, string>) => {
      const g = new GraphBuilder('id');
      g.input('x', 'float32', ['n']);
      g.node('Identity', 'id', ['x'], 'y');
      g.output('y', 'float32', ['n']);
      return Buffer.from(encodeModel(model(g, metadata)));
    };
    expect(build({ a: '1', b: '2' }).equals(build({ b: '2', a: '1' }))).toBe(true);
  });

  it('writes the wire format of onnx.proto (proto2) byte for byte, as the hand-written encoder it replaced did', () => {
    // Pins what a proto3 reading of the schema would change: the empty opset domain, a zero int and float, an
    // empty metadata value and a zero dim are written because they are set; repeated ints are not packed;
    // -1 takes ten bytes; fields go in number order (type = 20 last in an attribute).
    const m: OnnxModel = {
      irVersion: 8,
      opsetVersion: 17,
      producerName: 'p',
      producerVersion: '1',
      docString: 'd',
      graph: {
        name: 'g',
        nodes: [
          {
            name: 'n',
            opType: 'Op',
            inputs: ['x', ''],
            outputs: ['y'],
            attributes: [
              int('i', 0),
              ints('is', [-1, 300]),
              { name: 'f', type: 'float', value: 0 },
              { name: 'fs', type: 'floats', value: [1.5] },
              { name: 's', type: 'string', value: 'é' },
            ],
          },
        ],
        initializers: [{ name: 't', dataType: 'int64', dims: [2], data: BigInt64Array.from([1n, -1n]) }],
        inputs: [{ name: 'x', elemType: 'float32', shape: ['n', 0] }],
        outputs: [{ name: 'y', elemType: 'float32', shape: [] }],
      },
      metadata: { z: '', a: 'v' },
    };
    expect(Buffer.from(encodeModel(m)).toString('hex')).toBe(
      '08081201701a01313201643a9a010a570a01780a001201791a016e22024f702a080a01691800a001022a150a02697340ffffffffffffffffff0140ac02a001072a0b0a01661500000000a001012a0c0a0266733d0000c03fa001062a0a0a01732202c3a9a001031201672a19080210074201744a100100000000000000ffffffffffffffff5a140a0178120f0a0d080112090a0312016e0a020800620b0a017912060a040801120042040a00101172060a016112017672050a017a1200',
    );
  });

  it('rejects mistakes where they are made', () => {
    const g = new GraphBuilder('bad');
    g.input('x', 'float32', [1]);
    expect(() => g.node('Relu', 'r', ['nope'], 'y')).toThrow(/unknown tensor 'nope'/);
    expect(() => g.input('x', 'float32', [1])).toThrow(/duplicate tensor name/);
    expect(() => g.output('missing', 'float32', [1])).toThrow(/not produced/);
    g.floatConst('c', [2], [1, 2, 3]);
    expect(() => encodeModel(model(g))).toThrow(/hold 2 values, data has 3/);
  });
});
