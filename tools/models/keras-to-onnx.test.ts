/**
 * Converts a small Keras model built in tfjs (random weights, random BatchNorm statistics) and compares the
 * ONNX Runtime outputs with tfjs: covers the layer variants the real networks do not use (stride-2 'same',
 * depth multiplier, biases, BN without gamma/beta, conv with its own ReLU, zero padding before a pool).
 */
import * as tf from '@tensorflow/tfjs';
import ort from '../../src/core/base/onnx-runtime.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { centrePrior, convertKerasToOnnx, type TapRequest } from './keras-to-onnx.js';
import { parseKerasTopology } from './keras-topology.js';
import { encodeModel } from '../../src/core/base/onnx/onnx-proto.js';
import { dequantizeWeights, type WeightSpec } from './tfjs-artifacts.js';

const H = 11;
const W = 13;

function randomFill(seed: number): (n: number, lo: number, hi: number) => Float32Array {
  let s = seed;
  return (n, lo, hi) =>
    Float32Array.from({ length: n }, () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return lo + ((hi - lo) * s) / 2 ** 32;
    });
}

function buildKerasModel(h = H, w = W): tf.LayersModel {
  const input = tf.input({ shape: [h, w, 3], name: 'in' });
  const zp = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'zp' }).apply(input) as tf.SymbolicTensor;
  const c1 = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'c1' }).apply(zp);
  const bn1 = tf.layers.batchNormalization({ name: 'bn1', epsilon: 0.001 }).apply(c1);
  const r1 = tf.layers.reLU({ maxValue: 6, name: 'r1' }).apply(bn1) as tf.SymbolicTensor;
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: true, name: 'dw' }).apply(r1);
  const bn2 = tf.layers.batchNormalization({ name: 'bn2', center: false, scale: false }).apply(dw);
  const a2 = tf.layers.activation({ activation: 'relu', name: 'a2' }).apply(bn2) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters: 16, kernelSize: [1, 5], padding: 'same', useBias: true, activation: 'relu', name: 'c2' }).apply(r1) as tf.SymbolicTensor;
  const add = tf.layers.add({ name: 'add' }).apply([a2, c2]) as tf.SymbolicTensor;
  const c3 = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: true, name: 'c3' }).apply(add);
  const bn3 = tf.layers.batchNormalization({ name: 'bn3' }).apply(c3);
  const r3 = tf.layers.reLU({ name: 'r3' }).apply(bn3) as tf.SymbolicTensor;
  const p1 = tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'p1' }).apply(add);
  const p2 = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'p2' }).apply(p1) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'cat' }).apply([r3, p2]);
  const zp2 = tf.layers.zeroPadding2d({ padding: 1, name: 'zp2' }).apply(cat);
  const p3 = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'p3' }).apply(zp2) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [r1, cat as tf.SymbolicTensor, p3] });
  const rand = randomFill(7);
  // Non-trivial BatchNorm statistics, so that folding is actually exercised.
  for (const layer of model.layers) {
    if (!layer.name.startsWith('bn')) continue;
    layer.setWeights(
      layer.weights.map((w) => {
        const n = w.shape.reduce((a, b) => (a ?? 1) * (b ?? 1), 1) ?? 1;
        const [lo, hi] = w.name.includes('variance') ? [0.2, 2] : w.name.includes('gamma') ? [0.5, 1.5] : [-0.5, 0.5];
        return tf.tensor(rand(n, lo, hi), w.shape as number[]);
      }),
    );
  }
  return model;
}

describe('convertKerasToOnnx', () => {
  let keras: tf.LayersModel;
  let topology: unknown;
  let weights: ReturnType<typeof dequantizeWeights>;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    keras = buildKerasModel();
    await keras.save(
      tf.io.withSaveHandler(async (artifacts) => {
        topology = { keras_version: 'tfjs', model_config: artifacts.modelTopology };
        const data = new Uint8Array(artifacts.weightData as ArrayBuffer);
        weights = dequantizeWeights(artifacts.weightSpecs as WeightSpec[], data);
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
  });

  it('matches tfjs on GeM and raw taps', async () => {
    const gem = { kind: 'gem', p: 3, eps: 1e-6 } as const;
    const taps: TapRequest[] = [
      { layer: 'r1', pooling: gem },
      { layer: 'cat', pooling: gem },
      { layer: 'p3', pooling: { kind: 'none' } },
    ];
    const result = convertKerasToOnnx(parseKerasTopology(topology), weights, { graphName: 't', inputName: 'image', taps });
    // BN layers after linear convs disappear into the conv; bn2 follows a depthwise conv, so it folds too.
    const opTypes = result.graph.nodes.map((n) => n.opType);
    expect(opTypes).not.toContain('BatchNormalization');
    expect(opTypes.filter((t) => t === 'Mul')).toHaveLength(0);
    // zp folds into c1; zp2 feeds a pool, so it must stay an explicit Pad.
    expect(opTypes.filter((t) => t === 'Pad')).toHaveLength(1);
    expect(result.taps.map((t) => t.shape)).toEqual([[8], [24], [24, 2, 2]]);

    const n = 2;
    const nhwc = randomFill(99)(n * H * W * 3, 0, 1);
    const nchw = new Float32Array(nhwc.length);
    for (let b = 0; b < n; b++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) {
      nchw[((b * 3 + c) * H + y) * W + x] = nhwc[((b * H + y) * W + x) * 3 + c]!;
    }
    const session = await ort.InferenceSession.create(encodeModel({ irVersion: 8, opsetVersion: 17, producerName: 't', producerVersion: '1', graph: result.graph }));
    const ours = await session.run({ image: new ort.Tensor('float32', nchw, [n, 3, H, W]) });
    await session.release();

    const [r1, cat, p3] = keras.predict(tf.tensor4d(nhwc, [n, H, W, 3])) as tf.Tensor[];
    const gemOf = (t: tf.Tensor) => tf.pow(tf.mean(tf.pow(tf.maximum(t, 1e-6), 3), [1, 2]), 1 / 3);
    const expected = [await gemOf(r1!).data(), await gemOf(cat!).data(), await tf.transpose(p3!, [0, 3, 1, 2]).data()];
    result.taps.forEach((tap, i) => {
      const a = ours[tap.output]!.data as Float32Array;
      const b = expected[i]!;
      expect(a.length).toBe(b.length);
      const scale = Math.max(...Array.from(b, Math.abs));
      a.forEach((v, j) => expect(Math.abs(v - b[j]!)).toBeLessThanOrEqual(1e-5 * scale));
    });
  });

  it('outputs a layer\'s channel-summed map after the taps, leaving the taps\' graph as it was', async () => {
    const taps: TapRequest[] = [{ layer: 'cat', pooling: { kind: 'gem', p: 3, eps: 1e-6 } }];
    const plain = convertKerasToOnnx(parseKerasTopology(topology), weights, { graphName: 't', inputName: 'image', taps });
    const withMap = convertKerasToOnnx(parseKerasTopology(topology), weights, { graphName: 't', inputName: 'image', taps, energy: ['cat'] });
    const { height, width } = withMap.taps[0]!;
    expect(withMap.energy).toEqual([{ layer: 'cat', output: 'cat_energy', height, width }]);
    const cells = height * width;
    // The vectors' graph is a prefix of the one with the map: same nodes, same order (so the same bytes without it).
    expect(withMap.graph.nodes.slice(0, plain.graph.nodes.length)).toEqual(plain.graph.nodes);
    const raw = convertKerasToOnnx(parseKerasTopology(topology), weights, { graphName: 't', inputName: 'image', taps: [{ layer: 'cat', pooling: { kind: 'none' } }] });
    const n = 2;
    const input = new ort.Tensor('float32', randomFill(7)(n * 3 * H * W, 0, 1), [n, 3, H, W]);
    const run = async (g: typeof plain.graph) => {
      const session = await ort.InferenceSession.create(encodeModel({ irVersion: 8, opsetVersion: 17, producerName: 't', producerVersion: '1', graph: g }));
      const out = await session.run({ image: input });
      await session.release();
      return out;
    };
    const map = (await run(raw.graph))[raw.taps[0]!.output]!.data as Float32Array;
    const energy = (await run(withMap.graph))['cat_energy']!.data as Float32Array;
    expect(energy).toHaveLength(n * cells);
    for (let b = 0; b < n; b++) for (let cell = 0; cell < cells; cell++) {
      let sum = 0;
      for (let c = 0; c < 24; c++) sum += map[(b * 24 + c) * cells + cell]!;
      expect(Math.abs(energy[b * cells + cell]! - sum)).toBeLessThanOrEqual(1e-5 * Math.abs(sum));
    }
  });

  it('runs at another input size and pools with a centre prior like the reference', async () => {
    const [h, w] = [15, 17];
    const other = buildKerasModel(h, w);
    other.setWeights(keras.getWeights());
    const taps: TapRequest[] = [{ layer: 'cat', pooling: { kind: 'gem', p: 3, eps: 1e-6, center: 0.3 } }];
    const result = convertKerasToOnnx(parseKerasTopology(topology), weights, { graphName: 't', inputName: 'image', taps, inputSize: { height: h, width: w } });
    expect(result.input).toMatchObject({ height: h, width: w });
    const n = 2;
    const nhwc = randomFill(5)(n * h * w * 3, 0, 1);
    const nchw = new Float32Array(nhwc.length);
    for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
      nchw[((b * 3 + c) * h + y) * w + x] = nhwc[((b * h + y) * w + x) * 3 + c]!;
    }
    const session = await ort.InferenceSession.create(encodeModel({ irVersion: 8, opsetVersion: 17, producerName: 't', producerVersion: '1', graph: result.graph }));
    const ours = (await session.run({ image: new ort.Tensor('float32', nchw, [n, 3, h, w]) }))[result.taps[0]!.output]!.data as Float32Array;
    await session.release();
    const [, cat] = other.predict(tf.tensor4d(nhwc, [n, h, w, 3])) as tf.Tensor[];
    const [, mh, mw] = cat!.shape as number[];
    const prior = tf.tensor4d(centrePrior(mh!, mw!, 0.3), [1, mh!, mw!, 1]);
    const expected = await tf.pow(tf.sum(tf.mul(tf.pow(tf.maximum(cat!, 1e-6), 3), prior), [1, 2]), 1 / 3).data();
    const scale = Math.max(...Array.from(expected, Math.abs));
    expect(ours.length).toBe(expected.length);
    ours.forEach((v, j) => expect(Math.abs(v - expected[j]!)).toBeLessThanOrEqual(1e-5 * scale));
  });

  it('names the layer it cannot convert', () => {
    const model = parseKerasTopology(topology);
    const flatten = { name: 'f', className: 'Flatten', config: {}, inputs: ['cat'] };
    model.layers.set('f', flatten);
    model.order.push('f');
    expect(() => convertKerasToOnnx(model, weights, { graphName: 't', inputName: 'image', taps: [{ layer: 'f', pooling: { kind: 'none' } }] })).toThrow(
      /unsupported layer class Flatten \(layer f\)/,
    );
    expect(() => convertKerasToOnnx(model, weights, { graphName: 't', inputName: 'image', taps: [{ layer: 'nope', pooling: { kind: 'none' } }] })).toThrow(/unknown layer nope/);
  });

  it('reports a missing weight by name', () => {
    const partial = new Map(weights);
    partial.delete('c1/kernel');
    expect(() =>
      convertKerasToOnnx(parseKerasTopology(topology), partial, { graphName: 't', inputName: 'image', taps: [{ layer: 'r1', pooling: { kind: 'none' } }] }),
    ).toThrow(/missing weight c1\/kernel/);
  });
});

describe('dequantizeWeights', () => {
  it('computes q × scale + min in float64 and rounds once to float32, per tensor, in manifest order', () => {
    const specs: WeightSpec[] = [
      { name: 'a', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.1, min: -1 } },
      { name: 'b', shape: [2], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.5, min: 2 } },
      { name: 'c', shape: [1], dtype: 'float32' },
    ];
    const data = new Uint8Array([0, 10, 255, 1, 0, 0, 1, ...new Uint8Array(Float32Array.from([3.25]).buffer)]);
    const w = dequantizeWeights(specs, data);
    expect(Array.from(w.get('a')!.values)).toEqual([Math.fround(-1), Math.fround(10 * 0.1 - 1), Math.fround(255 * 0.1 - 1)]);
    expect(Array.from(w.get('b')!.values)).toEqual([2.5, 130]);
    expect(Array.from(w.get('c')!.values)).toEqual([3.25]);
  });
});

describe('centrePrior', () => {
  it('is a centred, symmetric weighting that sums to 1 and is the same on every run', () => {
    const p = centrePrior(5, 4, 0.3);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // Symmetric left-right and top-bottom; the centre outweighs the corner.
    for (let y = 0; y < 5; y++) for (let x = 0; x < 4; x++) {
      expect(p[y * 4 + x]).toBe(p[y * 4 + (3 - x)]);
      expect(p[y * 4 + x]).toBe(p[(4 - y) * 4 + x]);
    }
    expect(p[2 * 4 + 1]!).toBeGreaterThan(3 * p[0]!);
    // Within 1e-3 of a true Gaussian (the exponential is computed without Math.exp, for reproducible bytes).
    const g = (t: number) => Math.exp(-(t * t) / (2 * 0.09));
    const ratio = p[0]! / p[2 * 4 + 1]!;
    expect(ratio).toBeCloseTo((g(0.5 / 5 - 0.5) * g(0.5 / 4 - 0.5)) / (g(2.5 / 5 - 0.5) * g(1.5 / 4 - 0.5)), 3);
    expect(Array.from(centrePrior(5, 4, 0.3))).toEqual(Array.from(p));
  });
});
