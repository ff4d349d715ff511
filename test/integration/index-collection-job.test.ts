import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/core/app/engine.js';
import { computeSignature, decodeSignature } from '../../src/core/images/phash.js';
import { writeScene } from '../support/synthetic.js';
import { createLogger } from '../../src/core/base/logger.js';
import type { EmbedTimings, Embedder } from '../../src/core/models/embedder.js';
import type { IndexStages } from '../../src/core/jobs/index-collection.job.js';
import { rawDatabase } from '../../src/core/catalog/raw-database.js';

/** Deterministic 8-dim vectors from the pixels' channel means; "inference" takes a few milliseconds per call. */
function fakeEmbedder(): Embedder {
  return {
    modelId: 'fake-test',
    dim: 8,
    input: { width: 192, height: 192, resize: 'center-crop' },
    device: 'cpu',
    async embed(pixels: readonly Buffer[], timings?: EmbedTimings) {
      const start = performance.now();
      await sleep(3);
      const out = pixels.map((p) => {
        const v = new Float32Array(8);
        for (let i = 0; i < p.length; i++) v[i % 8]! += p[i]! + 1;
        const norm = Math.hypot(...v);
        return v.map((x) => x / norm);
      });
      if (timings) timings.inferenceMs += performance.now() - start;
      return out;
    },
    async close() {},
  };
}

/** fakeEmbedder that runs `parallel` calls at once, each taking `ms`, and records how many overlapped. */
function parallelEmbedder(parallel: number, ms: number): Embedder & { maxInFlight: number; calls: number; onCall?: () => void } {
  const inner = fakeEmbedder();
  let inFlight = 0;
  const e = {
    ...inner,
    parallel,
    maxInFlight: 0,
    calls: 0,
    onCall: undefined as (() => void) | undefined,
    async embed(pixels: readonly Buffer[], timings?: EmbedTimings) {
      inFlight += 1;
      e.calls += 1;
      e.maxInFlight = Math.max(e.maxInFlight, inFlight);
      e.onCall?.();
      try {
        await sleep(ms);
        return await inner.embed(pixels, timings);
      } finally {
        inFlight -= 1;
      }
    },
  };
  return e;
}

const MAIN_LINE: (keyof IndexStages)[] = ['scanMs', 'diffMs', 'waitMs', 'preprocessMs', 'inferenceMs', 'writeMs', 'saveMs', 'otherMs'];

describe('index job stage accounting', () => {
  let dir: string;
  let engine: Engine | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-stages-'));
  });

  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports every stage, non-negative, with the main line adding up to the run time', async () => {
    const photos = join(dir, 'photos');
    const sizes = [
      [320, 240],
      [240, 320],
      [200, 420],
      [150, 100],
    ] as const;
    await Promise.all(
      Array.from({ length: 14 }, (_, i) => writeScene(join(photos, `p${i}.jpg`), i + 1, { width: sizes[i % 4]![0], height: sizes[i % 4]![1] })),
    );
    const lines: string[] = [];
    engine = await createEngine({
      dataDir: join(dir, 'data'),
      modelId: 'fake-test',
      openEmbedder: async () => fakeEmbedder(),
      logger: createLogger({ level: 'debug', sink: (l) => lines.push(l) }),
      index: { batchSize: 4 },
    });
    engine.library.addFolder('shop', photos);
    const [summary] = await engine.indexer.run(['shop']);
    expect(summary).toMatchObject({ indexed: 14, failed: 0, cancelled: false });
    const stages = summary!.stages!;
    expect(Object.keys(stages).sort()).toEqual(
      ['decodeMs', 'diffMs', 'hashMs', 'inferenceMs', 'otherMs', 'preprocessMs', 'readMs', 'saveMs', 'scanMs', 'signatureMs', 'waitMs', 'writeMs'],
    );
    for (const [key, ms] of Object.entries(stages)) {
      expect(Number.isFinite(ms), key).toBe(true);
      expect(ms, key).toBeGreaterThanOrEqual(0);
    }
    // Work that was actually done shows up in its stage.
    for (const key of ['readMs', 'decodeMs', 'signatureMs', 'inferenceMs', 'writeMs', 'scanMs'] as const) expect(stages[key], key).toBeGreaterThan(0);
    // The main line runs one stage at a time: with `otherMs` it is the job's wall time (each figure rounded to 0.1 ms).
    const line = MAIN_LINE.reduce((t, k) => t + stages[k], 0);
    expect(line).toBeLessThanOrEqual(summary!.seconds * 1000 + 5);
    expect(line).toBeGreaterThanOrEqual(summary!.seconds * 1000 - 5);
  });

  it('stores perceptual signatures from its own decode, close to a separate decode of the file', async () => {
    const photos = join(dir, 'photos');
    // Portrait 3:4 (the signature's decode and the covering picture are the same size) and a wider landscape.
    await writeScene(join(photos, 'a.jpg'), 7, { width: 300, height: 400 });
    await writeScene(join(photos, 'b.jpg'), 8, { width: 480, height: 270 });
    const lines: string[] = [];
    engine = await createEngine({
      dataDir: join(dir, 'data'),
      modelId: 'fake-test',
      openEmbedder: async () => fakeEmbedder(),
      logger: createLogger({ level: 'debug', sink: (l) => lines.push(l) }),
    });
    engine.library.addFolder('shop', photos);
    await engine.indexer.run(['shop']);
    // Nothing was left for the after-index pass to decode again.
    expect(lines.some((l) => l.includes('perceptual signatures computed'))).toBe(false);
    const rows = rawDatabase(engine.catalog).prepare('SELECT i.path, s.signature FROM image_signatures s JOIN items i ON i.hash = s.hash').all() as {
      path: string;
      signature: Buffer;
    }[];
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const stored = decodeSignature(row.signature)!;
      const separate = await computeSignature(readFileSync(row.path));
      let diff = 0;
      for (let i = 0; i < stored.thumb.length; i++) diff += Math.abs(stored.thumb[i]! - separate.thumb[i]!);
      expect(diff / stored.thumb.length, row.path).toBeLessThan(2);
      expect(stored.aspect).toBeCloseTo(separate.aspect, 1);
    }
  });

  it('keeps an embedder\'s `parallel` batches in flight, writes them all in order, and on cancel writes those already started', async () => {
    const photos = join(dir, 'photos');
    await Promise.all(Array.from({ length: 24 }, (_, i) => writeScene(join(photos, `p${String(i).padStart(2, '0')}.jpg`), i + 1, { width: 200, height: 160 })));
    const vectorsOf = (e: Engine) =>
      new Map(
        (rawDatabase(e.catalog).prepare('SELECT i.path, e.vector FROM items i JOIN embeddings e ON e.item_id = i.id').all() as { path: string; vector: Buffer }[]).map((r) => [
          r.path,
          r.vector.toString('hex'),
        ]),
      );

    // One at a time: the reference.
    const serial = await createEngine({ dataDir: join(dir, 'serial'), modelId: 'fake-test', openEmbedder: async () => fakeEmbedder(), index: { batchSize: 4 } });
    serial.library.addFolder('shop', photos);
    await serial.indexer.run(['shop']);
    const expected = vectorsOf(serial);
    const pathsById = (e: Engine) => (rawDatabase(e.catalog).prepare('SELECT path FROM items ORDER BY id').all() as { path: string }[]).map((r) => r.path);
    const serialOrder = pathsById(serial);
    await serial.close();
    expect(expected.size).toBe(24);

    const two = parallelEmbedder(2, 30);
    engine = await createEngine({ dataDir: join(dir, 'data'), modelId: 'fake-test', openEmbedder: async () => two, index: { batchSize: 4 } });
    engine.library.addFolder('shop', photos);
    const [summary] = await engine.indexer.run(['shop']);
    expect(summary).toMatchObject({ indexed: 24, failed: 0, cancelled: false });
    expect(two.maxInFlight).toBe(2);
    expect(two.calls).toBe(6);
    expect(vectorsOf(engine)).toEqual(expected);
    // Written in order: the rows were inserted in the same order as one batch at a time inserts them.
    expect(pathsById(engine)).toEqual(serialOrder);
    await engine.close();

    // Cancelled while the third batch is embedding: no new batch starts, the two in flight are written.
    const slow = parallelEmbedder(2, 60);
    engine = await createEngine({ dataDir: join(dir, 'cancel'), modelId: 'fake-test', openEmbedder: async () => slow, index: { batchSize: 4 } });
    engine.library.addFolder('shop', photos);
    const handle = await engine.indexer.start(['shop']);
    slow.onCall = () => {
      if (slow.calls === 3) engine!.indexer.cancel(handle.jobId);
    };
    const [cancelled] = await handle.done;
    expect(cancelled).toMatchObject({ cancelled: true, failed: 0 });
    expect(slow.calls).toBe(3);
    expect(cancelled!.indexed).toBe(12);
    slow.onCall = undefined;
    const [resumed] = await engine.indexer.run(['shop']);
    expect(resumed).toMatchObject({ indexed: 12, unchanged: 12, cancelled: false });
    expect(vectorsOf(engine)).toEqual(expected);
  });
});
