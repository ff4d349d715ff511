import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { embedderIdentity, manifestFingerprint, parseManifest, readManifest, serializeManifest, userManifestSchema, type ModelManifest } from './manifest.js';

const valid = (): ModelManifest => ({
  schemaVersion: 1,
  id: 'tiny',
  version: '1.0.0',
  name: 'Tiny',
  input: {
    name: 'image',
    width: 32,
    height: 32,
    channels: 3,
    layout: 'nchw',
    resize: 'center-crop',
    scaling: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
  },
  outputs: [
    { name: 'a', pooling: { kind: 'gem', p: 3, eps: 1e-6 }, dim: 4, weight: 1 },
    { name: 'b', pooling: { kind: 'none' }, dim: 4, weight: 0.5 },
  ],
  fusion: { kind: 'weighted-concat', perOutputL2: true },
  dim: 8,
  sha256: 'a'.repeat(64),
  bytes: 100,
  license: 'MIT',
  source: { name: 'test' },
});

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('parseManifest', () => {
  it('accepts a valid manifest and defaults output weights to 1', () => {
    const m = valid() as Record<string, unknown> & ModelManifest;
    const outputs = m.outputs.map(({ weight: _w, ...rest }) => rest);
    expect(parseManifest({ ...m, outputs }, 'x').outputs.map((o) => o.weight)).toEqual([1, 1]);
  });

  it.each([
    ['a bad id', { id: 'Has Spaces' }, /id: lower-case letters/],
    ['a tiny input', { input: { ...valid().input, width: 4 } }, /input\.width/],
    ['an unknown resize mode', { input: { ...valid().input, resize: 'stretch' } }, /input\.resize/],
    ['a zero std', { input: { ...valid().input, scaling: { scale: 1, mean: [0, 0, 0], std: [1, 0, 1] } } }, /input\.scaling\.std\.1/],
    ['a dim that is not the sum of the outputs', { dim: 9 }, /dim: weighted-concat of outputs gives 8, not 9/],
    ['duplicate output names', { outputs: [valid().outputs[0], valid().outputs[0]] }, /outputs\.1\.name: duplicate output name 'a'/],
    ['a malformed sha256', { sha256: 'xyz' }, /sha256: 64 lower-case hex digits/],
    ['no outputs', { outputs: [] }, /outputs/],
    ['a zero fusion power', { fusion: { kind: 'weighted-concat', perOutputL2: true, power: 0 } }, /fusion\.power/],
    ['a fusion power above 1', { fusion: { kind: 'weighted-concat', perOutputL2: true, power: 2 } }, /fusion\.power/],
  ])('rejects %s with MODEL_INVALID naming the field', (_what, patch, message) => {
    const err = errorOf(() => parseManifest({ ...valid(), ...patch }, '/m/model.json'));
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/^\/m\/model\.json: invalid model manifest: /);
    expect(err.message).toMatch(message);
  });

  it('keeps an optional fusion power and leaves it absent when not given', () => {
    expect(parseManifest({ ...valid(), fusion: { kind: 'weighted-concat', perOutputL2: true, power: 0.5 } }, 'x').fusion.power).toBe(0.5);
    expect('power' in parseManifest(valid(), 'x').fusion).toBe(false);
  });

  it('requires sha256 and size in stored manifests but not in ones a user brings', () => {
    const { sha256: _s, bytes: _b, ...draft } = valid();
    expect(errorOf(() => parseManifest(draft, 'x')).message).toMatch(/sha256/);
    expect(parseManifest(draft, 'x', userManifestSchema).sha256).toBeUndefined();
  });
});

describe('readManifest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lookalike-manifest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips what serializeManifest writes', async () => {
    const path = join(dir, 'ok.json');
    await writeFile(path, serializeManifest(valid()));
    expect(await readManifest(path)).toEqual(valid());
  });

  it('says MODEL_MISSING for a missing file and MODEL_INVALID for broken JSON', async () => {
    await expect(readManifest(join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'MODEL_MISSING' });
    const path = join(dir, 'broken.json');
    await writeFile(path, '{ "id": ');
    await expect(readManifest(path)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/not valid JSON/) });
  });
});

describe('model identity', () => {
  it('changes with anything that changes the vectors, not with names or licences', () => {
    const base = manifestFingerprint(valid());
    expect(manifestFingerprint({ ...valid(), name: 'Renamed', license: 'other' })).toBe(base);
    expect(manifestFingerprint({ ...valid(), input: { ...valid().input, resize: 'squash' } })).not.toBe(base);
    expect(manifestFingerprint({ ...valid(), sha256: 'b'.repeat(64) })).not.toBe(base);
    expect(manifestFingerprint({ ...valid(), fusion: { ...valid().fusion, power: 0.5 } })).not.toBe(base);
    expect(embedderIdentity(valid())).toBe(`tiny@1.0.0+${base}`);
  });
});

describe('saliency map and the identity of the vectors (issue 20)', () => {
  it('keeps the identity of the graph the vectors come from when a model gains a saliency output', () => {
    const before = valid();
    const after = parseManifest(
      { ...before, sha256: 'b'.repeat(64), embeddingSha256: before.sha256, saliency: { name: 'map', tap: 'mixed6', height: 10, width: 10 } },
      'test',
    );
    expect(embedderIdentity(after)).toBe(embedderIdentity(before));
    // Without the claim, another file is another model.
    expect(embedderIdentity({ ...after, embeddingSha256: undefined })).not.toBe(embedderIdentity(before));
  });

  it('refuses a saliency output that is also fused, and a user manifest that claims another graph', () => {
    expect(errorOf(() => parseManifest({ ...valid(), saliency: { name: 'a', height: 10, width: 10 } }, 'm.json')).message).toMatch(/saliency.name: 'a' is already a fused output/);
    const { sha256: _s, bytes: _b, ...draft } = valid();
    expect(userManifestSchema.safeParse({ ...draft, embeddingSha256: 'c'.repeat(64) }).success).toBe(false);
    expect(userManifestSchema.safeParse(draft).success).toBe(true);
  });
});
