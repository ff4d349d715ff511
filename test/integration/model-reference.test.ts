/**
 * The converted ONNX graphs against @tensorflow/tfjs running the original Keras model (CPU backend, tfjs's own
 * dequantization of the shipped weights): every GeM tap must match to cosine ≥ 0.9999 on generated images.
 * Converts in memory, so it needs neither `npm run build:models` nor any file outside the repo.
 */
import * as tf from '@tensorflow/tfjs';
import ort from '../../src/core/base/onnx-runtime.js';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBuiltin, type BuiltinModelConfig } from '../../tools/models/builtin-config.js';
import { convertBuiltin, type ConvertedModel } from '../../tools/models/convert-builtin.js';
import { centrePrior } from '../../tools/models/keras-to-onnx.js';
import { parseKerasTopology, requiredLayers } from '../../tools/models/keras-topology.js';
import { findNsfwjs } from '../../tools/models/nsfwjs-source.js';
import { readTfjsArtifacts, type TfjsArtifacts } from '../../tools/models/tfjs-artifacts.js';
import { createPixelPacker, packPixels } from '../../src/core/models/preprocess.js';

/** Three kinds of picture a CNN reacts to differently: smooth gradients, hard-edged shapes, noise. */
async function syntheticImages(size: number, count: number): Promise<Buffer[]> {
  const images: Buffer[] = [];
  const gradient = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      gradient[i] = Math.round((255 * x) / (size - 1));
      gradient[i + 1] = Math.round((255 * y) / (size - 1));
      gradient[i + 2] = Math.round((255 * (x + y)) / (2 * size - 2));
    }
  }
  images.push(gradient);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">
    <rect width="100%" height="100%" fill="#f4efe6"/>
    <circle cx="${size * 0.35}" cy="${size * 0.4}" r="${size * 0.22}" fill="#c0392b"/>
    <rect x="${size * 0.5}" y="${size * 0.45}" width="${size * 0.4}" height="${size * 0.35}" fill="#2c3e50" transform="rotate(12 ${size / 2} ${size / 2})"/>
    <path d="M ${size * 0.1} ${size * 0.9} L ${size * 0.5} ${size * 0.6} L ${size * 0.9} ${size * 0.95} Z" fill="#27ae60"/>
  </svg>`;
  images.push(await sharp(Buffer.from(svg)).resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer());
  let seed = 12345;
  const noise = Buffer.alloc(size * size * 3);
  for (let i = 0; i < noise.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    noise[i] = seed >>> 24;
  }
  // Blur the noise a little so that it has texture at several scales, like a photo of fabric.
  images.push(await sharp(noise, { raw: { width: size, height: size, channels: 3 } }).blur(1.2).raw().toBuffer());
  return images.slice(0, count);
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

async function tfjsTaps(artifacts: TfjsArtifacts, config: BuiltinModelConfig, nhwc: Float32Array, n: number, size: number): Promise<Float32Array[]> {
  const weightData = artifacts.weightData.buffer.slice(artifacts.weightData.byteOffset, artifacts.weightData.byteOffset + artifacts.weightData.byteLength);
  // The Keras model cut after the taps (its NSFW head cannot be built at another input size), with the input size
  // the built-in runs at: every layer on the path to the taps is size-agnostic.
  type Layer = { name: string; class_name: string; config: Record<string, unknown> };
  const topology = JSON.parse(JSON.stringify(artifacts.modelTopology)) as { model_config: { config: { layers: Layer[]; output_layers: unknown } } };
  const needed = new Set(requiredLayers(parseKerasTopology(artifacts.modelTopology), config.taps.map((t) => t.layer)).map((l) => l.name));
  const cfg = topology.model_config.config;
  cfg.layers = cfg.layers.filter((l) => needed.has(l.name));
  cfg.output_layers = config.taps.map((t) => [t.layer, 0, 0]);
  const inputLayer = cfg.layers.find((l) => l.class_name === 'InputLayer');
  if (config.inputSize !== undefined && inputLayer) inputLayer.config['batch_input_shape'] = [null, size, size, 3];
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: topology as unknown as object, weightSpecs: artifacts.weightSpecs, weightData }),
    { strict: false },
  );
  const taps = tf.model({ inputs: model.inputs, outputs: config.taps.map((t) => model.getLayer(t.layer).output as tf.SymbolicTensor) });
  const results = tf.tidy(() => {
    const outputs = taps.predict(tf.tensor4d(nhwc, [n, size, size, 3])) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(outputs) ? outputs : [outputs]).map((maps, i) => {
      const pooling = config.taps[i]!.pooling;
      if (pooling.kind !== 'gem') throw new Error('this test expects GeM taps');
      const powered = tf.pow(tf.maximum(maps, pooling.eps), pooling.p);
      if (pooling.center === undefined) return tf.pow(tf.mean(powered, [1, 2]), 1 / pooling.p);
      const [, h, w] = maps.shape as number[];
      const prior = tf.tensor4d(centrePrior(h!, w!, pooling.center), [1, h!, w!, 1]);
      return tf.pow(tf.sum(tf.mul(powered, prior), [1, 2]), 1 / pooling.p);
    });
  });
  const data = await Promise.all(results.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(results);
  model.dispose();
  return data;
}

const CASES: Array<{ id: string; images: number }> = [
  // InceptionV3 on tfjs's pure-JS CPU backend takes seconds per image: two images keep the test short.
  { id: 'fast', images: 3 },
  { id: 'accurate', images: 2 },
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(CASES)('converted $id model vs tfjs', ({ id, images: count }) => {
  let config: BuiltinModelConfig;
  let artifacts: TfjsArtifacts;
  let converted: ConvertedModel;
  let pixels: Buffer[];

  beforeAll(async () => {
    config = (await readBuiltin(id)).config;
    const nsfwjs = findNsfwjs();
    artifacts = await readTfjsArtifacts(`${nsfwjs.modelsDir}/${config.sourceModel}`);
    converted = convertBuiltin(config, artifacts, nsfwjs.version);
    pixels = await syntheticImages(converted.manifest.input.width, count);
  });

  it('matches every tap to cosine ≥ 0.9999 and max |Δ| ≤ 1e-4 × max |x|', async () => {
    const { input } = converted.manifest;
    const size = input.width;
    const per = 3 * size * size;
    const nchw = new Float32Array(count * per);
    const nhwc = new Float32Array(count * per);
    const nchwPacker = createPixelPacker(input);
    const nhwcPacker = createPixelPacker({ ...input, layout: 'nhwc' });
    pixels.forEach((p, i) => {
      packPixels(nchwPacker, p, nchw, i * per);
      packPixels(nhwcPacker, p, nhwc, i * per);
    });

    const session = await ort.InferenceSession.create(converted.onnx, { executionProviders: ['cpu'], intraOpNumThreads: 2 });
    const onnxOut = await session.run({ [input.name]: new ort.Tensor('float32', nchw, [count, 3, size, size]) });
    await session.release();
    const reference = await tfjsTaps(artifacts, config, nhwc, count, size);

    converted.manifest.outputs.forEach((output, t) => {
      const ours = onnxOut[output.name]!.data as Float32Array;
      const theirs = reference[t]!;
      expect(ours.length).toBe(count * output.dim);
      expect(theirs.length).toBe(count * output.dim);
      for (let i = 0; i < count; i++) {
        const a = ours.subarray(i * output.dim, (i + 1) * output.dim);
        const b = theirs.subarray(i * output.dim, (i + 1) * output.dim);
        const cos = cosine(a, b);
        const diff = maxAbsDiff(a, b);
        console.info(`${id} ${output.tap} image ${i}: cosine ${cos.toFixed(9)}, max |Δ| ${diff.toExponential(2)} (max |x| ${maxAbs(b).toFixed(3)})`);
        expect(cos).toBeGreaterThanOrEqual(0.9999);
        // Float32 summation order differs (folded BN, other conv kernels): allow 1e-4 of the largest value.
        expect(diff).toBeLessThanOrEqual(1e-4 * maxAbs(b));
      }
    });
  });
});
