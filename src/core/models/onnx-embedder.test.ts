import type { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { ModelManifest } from './manifest.js';
import { OnnxEmbedder } from './onnx-embedder.js';

const SIDE = 8;

const manifest = (fusion: ModelManifest['fusion'], tta?: ModelManifest['tta']): ModelManifest => ({
  schemaVersion: 1,
  id: 'tiny',
  version: '1.0.0',
  name: 'Tiny',
  input: {
    name: 'image',
    width: SIDE,
    height: SIDE,
    channels: 3,
    layout: 'nchw',
    resize: 'center-crop',
    scaling: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
  },
  outputs: [{ name: 'out', pooling: { kind: 'none' }, dim: 3, weight: 1 }],
  fusion,
  ...(tta ? { tta } : {}),
  dim: 3,
  sha256: 'a'.repeat(64),
  bytes: 100,
  license: 'MIT',
  source: { name: 'test' },
});

/**
 * A session whose output per image is [red of the top-left pixel, red of the top-right pixel, 0.5]: the mirror view
 * swaps the first two, so a test can tell the views apart.
 */
function fakeSession(): InferenceSession {
  const plane = SIDE * SIDE;
  return {
    inputMetadata: [{ name: 'image', isTensor: true, type: 'float32', shape: ['batch', 3, SIDE, SIDE] }],
    outputMetadata: [{ name: 'out', isTensor: true, type: 'float32', shape: ['batch', 3] }],
    run: async (feeds: Record<string, { data: Float32Array; dims: readonly number[] }>) => {
      const input = feeds.image!;
      const n = input.dims[0]!;
      const data = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) data.set([input.data[i * 3 * plane]!, input.data[i * 3 * plane + SIDE - 1]!, 0.5], i * 3);
      return { out: { data } };
    },
    release: async () => undefined,
  } as unknown as InferenceSession;
}

/** Red 255 in the top-left pixel, black elsewhere. */
function image(): Buffer {
  const px = Buffer.alloc(SIDE * SIDE * 3);
  px[0] = 255;
  return px;
}

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

async function embedOne(m: ModelManifest): Promise<number[]> {
  const embedder = new OnnxEmbedder({ modelId: 'tiny', manifest: m, session: fakeSession(), device: 'cpu' });
  const [v] = await embedder.embed([image()]);
  await embedder.close();
  return Array.from(v!);
}

describe('OnnxEmbedder fusion', () => {
  it('without a power, returns the unit mean of the views', async () => {
    const v = await embedOne(manifest({ kind: 'weighted-concat', perOutputL2: true }, { flip: true }));
    const [plain, mirror] = [unit([1, 0, 0.5]), unit([0, 1, 0.5])];
    unit(plain.map((x, i) => x + mirror[i]!)).forEach((x, i) => expect(v[i]).toBeCloseTo(x, 6));
  });

  it('power-normalises the averaged views, not each view', async () => {
    const v = await embedOne(manifest({ kind: 'weighted-concat', perOutputL2: true, power: 0.5 }, { flip: true }));
    const [plain, mirror] = [unit([1, 0, 0.5]), unit([0, 1, 0.5])];
    const mean = unit(plain.map((x, i) => x + mirror[i]!));
    unit(mean.map(Math.sqrt)).forEach((x, i) => expect(v[i]).toBeCloseTo(x, 6));
    // Per view first would give another vector: the order matters and is part of the model's definition.
    const perView = unit(unit(plain.map(Math.sqrt)).map((x, i) => x + unit(mirror.map(Math.sqrt))[i]!));
    expect(Math.abs(v[2]! - perView[2]!)).toBeGreaterThan(1e-3);
  });

  it('power-normalises a single-view model too', async () => {
    const v = await embedOne(manifest({ kind: 'weighted-concat', perOutputL2: true, power: 0.5 }));
    unit(unit([1, 0, 0.5]).map(Math.sqrt)).forEach((x, i) => expect(v[i]).toBeCloseTo(x, 6));
  });
});
