/**
 * The index job's pool of single-threaded sessions on worker threads (src/core/models/embedder-pool.ts), with the
 * compiled worker and the built-in `fast` model: the same vectors as the model's own session, calls spread over the
 * workers, and clear failures.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeForModel } from '../../src/core/images/decode.js';
import { scene } from '../support/synthetic.js';
import { nullLogger } from '../../src/core/base/logger.js';
import { openBulkEmbedder } from '../../src/core/models/bulk-embedder.js';
import type { Embedder } from '../../src/core/models/embedder.js';
import { EmbedderPool } from '../../src/core/models/embedder-pool.js';
import { findPackageRoot } from '../../src/core/models/package-root.js';
import { modelDirOf, openEmbedder } from '../../src/core/models/registry.js';
import { ensureBuiltCli } from './built-cli.js';

const WORKER = join(findPackageRoot(import.meta.url), 'dist', 'core', 'models', 'embed.worker.js');

describe('EmbedderPool (compiled worker, built-in fast model)', () => {
  let session: Embedder;
  let pixels: Buffer[];

  beforeAll(async () => {
    await ensureBuiltCli();
    session = await openEmbedder({ modelId: 'fast', logger: nullLogger, device: 'cpu' });
    pixels = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await decodeForModel(await scene(i + 1, 300, 220).jpeg().toBuffer(), session.input)).pixels));
  }, 120_000);

  afterAll(async () => {
    await session?.close();
  });

  it('embeds as the model\'s own session does, with calls running on both workers at once', async () => {
    const pool = await EmbedderPool.open(session, 2, { dir: modelDirOf({ modelId: 'fast' }).dir, intraOpThreads: 1 }, WORKER);
    try {
      expect(pool).toMatchObject({ modelId: session.modelId, dim: session.dim, input: session.input, parallel: 2, device: 'cpu' });
      const expected = await session.embed(pixels);
      // Four calls at once: two run, two wait for a free worker; each answers its own images, in order.
      const parts = [pixels.slice(0, 5), pixels.slice(5, 10), pixels.slice(10, 15), pixels.slice(15)];
      const timings = { preprocessMs: 0, inferenceMs: 0 };
      const got = (await Promise.all(parts.map((p) => pool.embed(p, timings)))).flat();
      expect(got).toHaveLength(20);
      for (let i = 0; i < 20; i++) {
        let dot = 0;
        for (let j = 0; j < session.dim; j++) dot += got[i]![j]! * expected[i]![j]!;
        expect(dot, `image ${i}`).toBeGreaterThan(0.99999);
      }
      expect(timings.inferenceMs).toBeGreaterThan(0);
      await expect(pool.embed([Buffer.alloc(10)])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('fails clearly when its workers cannot open the model or open another one', async () => {
    await expect(EmbedderPool.open(session, 2, { dir: join(findPackageRoot(import.meta.url), 'no-such-model'), intraOpThreads: 1 }, WORKER)).rejects.toMatchObject({
      code: 'MODEL_MISSING',
    });
    const other = { ...session, modelId: 'not-fast@1', embed: session.embed.bind(session), close: async () => undefined };
    await expect(EmbedderPool.open(other, 1, { dir: modelDirOf({ modelId: 'fast' }).dir, intraOpThreads: 1 }, WORKER)).rejects.toThrow(/loaded .* not not-fast@1/);
  }, 120_000);

  it('answers embedDetailed as the session does: vector, unpowered vector and saliency map (accurate)', async () => {
    const accurate = await openEmbedder({ modelId: 'accurate', logger: nullLogger, device: 'cpu' });
    const pool = await EmbedderPool.open(accurate, 1, { dir: modelDirOf({ modelId: 'accurate' }).dir, intraOpThreads: 1 }, WORKER);
    try {
      expect(pool.saliency).toEqual({ height: 10, width: 10 });
      const few = await Promise.all([1, 2, 3].map(async (i) => (await decodeForModel(await scene(i, 300, 220).jpeg().toBuffer(), accurate.input)).pixels));
      for (const views of ['all', 'plain'] as const) {
        const expected = await accurate.embedDetailed!(few, { views });
        const got = await pool.embedDetailed(few, { views });
        got.forEach((g, i) => {
          const e = expected[i]!;
          expect(g.saliency, `image ${i}`).toHaveLength(100);
          expect(Math.max(...g.saliency!.map((v, k) => Math.abs(v - e.saliency![k]!) / Math.abs(e.saliency![k]!)))).toBeLessThan(1e-4);
          for (const key of ['vector', 'unpowered'] as const) {
            let dot = 0;
            for (let j = 0; j < accurate.dim; j++) dot += g[key][j]! * e[key][j]!;
            expect(dot, `${views} ${key} ${i}`).toBeGreaterThan(0.99999);
          }
          // The power normalisation really is left out of `unpowered`.
          expect(g.unpowered).not.toEqual(g.vector);
        });
      }
    } finally {
      await pool.close();
      await accurate.close();
    }
  }, 120_000);

  it('is used only for CPU inference on two cores or more, and falls back (logged) when it cannot start', async () => {
    const lines: string[] = [];
    const logger = { ...nullLogger, warn: (m: string) => void lines.push(m) };
    const base = { modelId: 'fast', dataDir: '/nonexistent', logger, workerFile: WORKER };
    expect(await openBulkEmbedder({ ...session, device: 'cuda' } as Embedder, base)).toBeUndefined();
    expect(await openBulkEmbedder(session, { ...base, cores: 1 })).toBeUndefined();
    expect(await openBulkEmbedder(session, { ...base, modelId: 'not-a-model' })).toBeUndefined();
    expect(lines).toEqual(['could not start the embedding workers; indexing on one session']);
    const bulk = await openBulkEmbedder(session, { ...base, cores: 2 });
    expect(bulk?.embedder.parallel).toBe(2);
    await bulk?.release();
  }, 120_000);
});
