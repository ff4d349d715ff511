/**
 * The model registry end to end on temp folders: building the fast built-in (cached, reproducible), opening it
 * through openEmbedder (shared, batched, verified), its failure modes, and bringing a tiny ONNX model of one's own.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModels } from '../../tools/models/build-models.js';
import { GraphBuilder } from '../../src/core/base/onnx/graph-builder.js';
import { encodeModel, type Dim } from '../../src/core/base/onnx/onnx-proto.js';
import type { Embedder } from '../../src/core/models/embedder.js';
import { listModels, openEmbedder } from '../../src/core/models/registry.js';
import { addUserModel } from '../../src/core/models/user-models.js';

let root: string;
let modelsDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lookalike-models-'));
  modelsDir = join(root, 'builtin');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Deterministic varied pictures: a different colour ramp and stripe pattern per seed. */
function picture(size: number, seed: number): Buffer {
  const px = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      px[i] = (x * (seed + 1) * 3) & 255;
      px[i + 1] = ((x + y) * 7 * (seed % 3 + 1)) & 255;
      px[i + 2] = Math.floor((y + seed * 13) / 16) % 2 === 0 ? 230 : 20;
    }
  }
  return px;
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('buildModels', () => {
  it('builds, then skips a second build, and rebuilds byte-for-byte identically', async () => {
    const [first] = await buildModels({ outDir: modelsDir, ids: ['fast'], logger: quiet });
    expect(first).toMatchObject({ id: 'fast', status: 'built' });
    const bytes = await readFile(join(modelsDir, 'fast', 'model.onnx'));
    const [second] = await buildModels({ outDir: modelsDir, ids: ['fast'], logger: quiet });
    expect(second?.status).toBe('cached');
    const other = join(root, 'rebuild');
    const [third] = await buildModels({ outDir: other, ids: ['fast'], force: true, logger: quiet });
    expect(third?.sha256).toBe(first?.sha256);
    expect((await readFile(join(other, 'fast', 'model.onnx'))).equals(bytes)).toBe(true);
    expect(await readFile(join(other, 'fast', 'model.json'), 'utf8')).toBe(await readFile(join(modelsDir, 'fast', 'model.json'), 'utf8'));
  });

  it('rebuilds when the output was tampered with even though the stamp matches', async () => {
    await appendFile(join(modelsDir, 'fast', 'model.onnx'), 'x');
    const [again] = await buildModels({ outDir: modelsDir, ids: ['fast'], logger: quiet });
    expect(again?.status).toBe('built');
  });
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('openEmbedder on the fast built-in', () => {
  let embedder: Embedder;

  beforeAll(async () => {
    await buildModels({ outDir: modelsDir, ids: ['fast'], logger: quiet });
    const lines: string[] = [];
    const logger = { ...quiet, info: (msg: string) => lines.push(msg) };
    const opts = { modelsDir, modelId: 'fast', device: 'auto' as const, intraOpThreads: 2, maxBatch: 4, logger };
    const [a, b] = await Promise.all([openEmbedder(opts), openEmbedder(opts)]);
    // One load, one session (one provider line) for both callers; each holds its own handle.
    expect(lines.filter((l) => l.startsWith('onnx execution provider'))).toHaveLength(1);
    await b.close();
    await expect(b.embed([picture(192, 0)])).rejects.toThrow(/after close/);
    embedder = a;
    // The other handle still works after b closed.
    await expect(a.embed([picture(192, 0)])).resolves.toHaveLength(1);
  });

  afterAll(async () => {
    await embedder.close();
  });

  it('describes itself from the manifest', () => {
    expect(embedder.modelId).toMatch(/^fast@2\.0\.0\+[0-9a-f]{12}$/);
    expect(embedder.dim).toBe(1152);
    expect(embedder.input).toEqual({ width: 192, height: 192, resize: 'center-crop' });
    expect(embedder.device).toBe('cpu');
  });

  it('returns unit vectors that do not depend on batching or on what the buffer held before', async () => {
    const pics = Array.from({ length: 6 }, (_, i) => picture(192, i));
    const batched = await embedder.embed(pics); // batches of 4 + 2
    expect(batched).toHaveLength(6);
    for (const v of batched) {
      expect(v.length).toBe(1152);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
    const [last] = await embedder.embed([pics[5]!]);
    const [first] = await embedder.embed([pics[0]!]);
    expect(cosine(last!, batched[5]!)).toBeGreaterThan(0.99999);
    expect(cosine(first!, batched[0]!)).toBeGreaterThan(0.99999);
    // Different pictures give different vectors (the test would pass on a constant model otherwise).
    expect(cosine(batched[0]!, batched[1]!)).toBeLessThan(0.999);
  });

  it('serves concurrent calls in order', async () => {
    const pics = [picture(192, 1), picture(192, 2)];
    const [a, b] = await Promise.all([embedder.embed([pics[0]!]), embedder.embed([pics[1]!])]);
    const [both0, both1] = await embedder.embed(pics);
    expect(cosine(a![0]!, both0!)).toBeGreaterThan(0.99999);
    expect(cosine(b![0]!, both1!)).toBeGreaterThan(0.99999);
  });

  it('rejects pixels of the wrong size with INVALID_INPUT', async () => {
    await expect(embedder.embed([Buffer.alloc(10)])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('openEmbedder failures', () => {
  it('says MODEL_MISSING with the build command when a built-in was not built', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty, { recursive: true });
    await expect(openEmbedder({ modelsDir: empty })).rejects.toMatchObject({ code: 'MODEL_MISSING', message: expect.stringContaining('npm run build:models') });
  });

  it('says MODEL_MISSING for an unknown id', async () => {
    await expect(openEmbedder({ modelsDir, modelId: 'nope' })).rejects.toMatchObject({ code: 'MODEL_MISSING' });
    await expect(openEmbedder({ modelsDir, modelId: 'nope', dataDir: root })).rejects.toMatchObject({ code: 'MODEL_MISSING' });
  });

  it('refuses a model file that does not match its manifest', async () => {
    const tampered = join(root, 'tampered');
    await cp(join(modelsDir, 'fast'), join(tampered, 'fast'), { recursive: true });
    await appendFile(join(tampered, 'fast', 'model.onnx'), Buffer.from([0]));
    await expect(openEmbedder({ modelsDir: tampered, modelId: 'fast', device: 'cpu' })).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
  });
});

/** image [batch, 3, 32, 32] → GlobalAveragePool → Flatten → MatMul [3, outDim]: written with our own encoder. */
function tinyModel(options: { inputName?: string; batch?: Dim; outDim?: number; declaredOut?: Dim } = {}): Uint8Array {
  const outDim = options.outDim ?? 8;
  const g = new GraphBuilder('tiny');
  const input = g.input(options.inputName ?? 'image', 'float32', [options.batch ?? 'batch', 3, 32, 32]);
  const pooled = g.node('GlobalAveragePool', 'gap', [input], 'pooled');
  const flat = g.node('Flatten', 'flatten', [pooled], 'flat');
  const w = g.floatConst('W', [3, outDim], Array.from({ length: 3 * outDim }, (_, i) => ((i * 37) % 11) - 5));
  g.node('MatMul', 'project', [flat, w], 'embedding');
  g.output('embedding', 'float32', [options.batch ?? 'batch', options.declaredOut ?? outDim]);
  return encodeModel({ irVersion: 8, opsetVersion: 17, producerName: 'test', producerVersion: '1', graph: g.build() });
}

function tinyManifest(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id: 'tiny',
    version: '0.1.0',
    name: 'Tiny test model',
    input: { name: 'image', width: 32, height: 32, channels: 3, layout: 'nchw', resize: 'squash', scaling: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] } },
    outputs: [{ name: 'embedding', pooling: { kind: 'avg' }, dim: 8 }],
    fusion: { kind: 'weighted-concat', perOutputL2: true },
    dim: 8,
    license: 'MIT',
    source: { name: 'generated by the test' },
    ...over,
  };
}

describe('addUserModel', () => {
  let dataDir: string;
  let n = 0;

  async function files(model: Uint8Array, manifest: Record<string, unknown>): Promise<[string, string]> {
    n += 1;
    const onnxPath = join(root, `upload-${n}.onnx`);
    const manifestPath = join(root, `upload-${n}.json`);
    await writeFile(onnxPath, model);
    await writeFile(manifestPath, JSON.stringify(manifest));
    return [onnxPath, manifestPath];
  }

  beforeAll(async () => {
    dataDir = join(root, 'data');
    await buildModels({ outDir: modelsDir, ids: ['fast'], logger: quiet });
  });

  it('installs a valid model with its sha256, lists it and opens it', async () => {
    const [onnxPath, manifestPath] = await files(tinyModel(), tinyManifest());
    const info = await addUserModel(dataDir, onnxPath, manifestPath, { modelsDir });
    expect(info).toMatchObject({ id: 'tiny', dim: 8, builtin: false, available: true, dir: join(dataDir, 'models', 'tiny') });
    const stored = JSON.parse(await readFile(join(dataDir, 'models', 'tiny', 'model.json'), 'utf8')) as { sha256: string; bytes: number };
    expect(stored.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.bytes).toBe(tinyModel().length);

    const listed = await listModels(dataDir, { modelsDir });
    expect(listed.map((m) => [m.id, m.builtin])).toEqual([
      ['fast', true],
      ['tiny', false],
    ]);

    const embedder = await openEmbedder({ dataDir, modelsDir, modelId: 'tiny', device: 'cpu' });
    // A pure red image pools to [1, 0, 0], so its vector is the first row of W, normalised.
    const red = Buffer.alloc(32 * 32 * 3);
    for (let i = 0; i < red.length; i += 3) red[i] = 255;
    const [v] = await embedder.embed([red]);
    const row = Array.from({ length: 8 }, (_, i) => ((i * 37) % 11) - 5);
    const norm = Math.hypot(...row);
    expect(Array.from(v!).map((x) => x.toFixed(5))).toEqual(row.map((x) => (x / norm).toFixed(5)));
    await embedder.close();
  });

  it('handles a model with a fixed batch of 1', async () => {
    const [onnxPath, manifestPath] = await files(tinyModel({ batch: 1 }), tinyManifest({ id: 'tiny-b1' }));
    await expect(addUserModel(dataDir, onnxPath, manifestPath, { modelsDir })).resolves.toMatchObject({ id: 'tiny-b1' });
  });

  it.each([
    ['an output size that differs from the manifest', () => tinyModel(), tinyManifest({ id: 'd1', outputs: [{ name: 'embedding', pooling: { kind: 'avg' }, dim: 9 }], dim: 9 }), 'MODEL_INVALID', /\(8 values per image\), the manifest says dim 9/],
    ['a symbolic output dimension whose real size differs', () => tinyModel({ declaredOut: 'd' }), tinyManifest({ id: 'd2', outputs: [{ name: 'embedding', pooling: { kind: 'avg' }, dim: 9 }], dim: 9 }), 'MODEL_INVALID', /8 values per image/],
    ['another input name', () => tinyModel({ inputName: 'pixels' }), tinyManifest({ id: 'd3' }), 'MODEL_INVALID', /takes \[pixels\]/],
    ['another input size', () => tinyModel(), tinyManifest({ id: 'd4', input: { ...(tinyManifest().input as object), width: 64 } }), 'MODEL_INVALID', /input 'image' has shape/],
    ['a missing output', () => tinyModel(), tinyManifest({ id: 'd5', outputs: [{ name: 'vec', pooling: { kind: 'avg' }, dim: 8 }] }), 'MODEL_INVALID', /'vec' is not produced/],
    ['a built-in id', () => tinyModel(), tinyManifest({ id: 'fast' }), 'MODEL_INVALID', /built-in/],
    ['a taken id', () => tinyModel(), tinyManifest({ id: 'tiny' }), 'MODEL_INVALID', /already exists/],
    ['a wrong sha256', () => tinyModel(), tinyManifest({ id: 'd6', sha256: '0'.repeat(64) }), 'CHECKSUM_MISMATCH', /sha256/],
    ['bytes that are not ONNX', () => new Uint8Array([1, 2, 3, 4]), tinyManifest({ id: 'd7' }), 'MODEL_INVALID', /ONNX Runtime cannot load it/],
    ['an invalid manifest', () => tinyModel(), tinyManifest({ id: 'd8', dim: 'eight' }), 'MODEL_INVALID', /dim/],
  ])('rejects %s', async (_what, model, manifest, code, message) => {
    const [onnxPath, manifestPath] = await files(model(), manifest);
    await expect(addUserModel(dataDir, onnxPath, manifestPath, { modelsDir })).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    const id = manifest['id'] as string;
    if (id !== 'tiny' && id !== 'fast') {
      await expect(readFile(join(dataDir, 'models', id, 'model.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  it('replaces an existing model only when asked', async () => {
    const [onnxPath, manifestPath] = await files(tinyModel({ outDim: 4 }), tinyManifest({ outputs: [{ name: 'embedding', pooling: { kind: 'avg' }, dim: 4 }], dim: 4 }));
    await expect(addUserModel(dataDir, onnxPath, manifestPath, { modelsDir, replace: true })).resolves.toMatchObject({ id: 'tiny', dim: 4 });
  });
});
