/**
 * `lookalike eval`: measures a model on a labeled folder (one sub-folder per label) through the same path the app
 * takes, on a temporary data folder:
 *
 * 1. index the folder through the engine (decode, embed, store, learn the folder's whitening, build the index):
 *    the time of this step gives the end-to-end indexing throughput;
 * 2. category retrieval, leave-one-out: every photo queries the index by its stored embedding with the app's
 *    search (transform, query expansion) and itself left out of the database; relevant = same label;
 * 3. near-duplicates: N originals (a deterministic sample) × each alteration of eval/alterations.ts; the altered
 *    copy is decoded and embedded as a query image is and searched among all photos; a hit when its original
 *    ranks first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { AppError } from '../shared/errors.js';
import { asItemId, type Progress } from '../shared/types.js';
import { createEngine, type Engine } from '../core/app/engine.js';
import { decodeForModel } from '../core/images/decode.js';
import { nullLogger, type Logger } from '../core/base/logger.js';
import type { WhiteningPolicy } from '../core/vectors/whitening-store.js';
import { decodeF16 } from '../core/base/f16.js';
import { ALTERATION_KINDS, alterImage, sampleDeterministic, type AlterationKind } from '../core/eval/alterations.js';
import { retrievalMetrics, type RankedQuery } from '../core/eval/metrics.js';

export interface EvalOptions {
  /** The labeled folder: each direct sub-folder is a label (images deeper inside count for that label). */
  folder: string;
  /** Registry id (default: the registry's default). */
  modelId?: string;
  device?: 'cpu' | 'gpu' | 'auto';
  /** Originals for the near-duplicate test (default 300; 0 skips it). */
  nearDuplicates?: number;
  kinds?: readonly AlterationKind[];
  /** Query expansion as the app decides (undefined), forced on or off (ablation). */
  expand?: boolean;
  /** Whitening policy (ablation; default the app's). */
  whitening?: WhiteningPolicy;
  /** Keep the temporary data folder here instead of deleting it. */
  workDir?: string;
  /** Seed of the near-duplicate sample (default 7). */
  seed?: number;
  logger?: Logger;
  onProgress?: (p: Progress) => void;
  /** Near-duplicate progress: queries embedded so far and their total. */
  onStep?: (message: string) => void;
  signal?: AbortSignal;
}

export interface EvalReport {
  model: { id: string; embedderId: string; dim: number; device: string; transform: { kind: string; outputDim: number; samples: number } | null };
  dataset: { folder: string; images: number; labels: Record<string, number>; failed: number };
  retrieval: { queries: number; mapAt10: number; precisionAt1: number; recallAt1: number; recallAt5: number; recallAt10: number; expand: boolean | 'auto' };
  nearDuplicate: { originals: number; recallAt1: Partial<Record<AlterationKind, number>>; mean: number; failedQueries: number } | null;
  throughput: { indexImagesPerSecond: number; indexSeconds: number; queryImagesPerSecond: number | null };
  seconds: number;
}

const COLLECTION = 'eval';
const QUERY_BATCH = 16;

/** The label of a file under `root`: its first path segment (files directly in `root` have none). */
export function labelOf(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  const parts = rel.split(sep);
  return parts.length >= 2 && parts[0] !== '..' ? parts[0] : undefined;
}

/**
 * Runs the evaluation (see the module comment).
 * @throws AppError FOLDER_NOT_FOUND / NOT_A_FOLDER, INVALID_INPUT (fewer than two labels), MODEL_*, CANCELLED.
 */
export async function runEval(options: EvalOptions): Promise<EvalReport> {
  const started = performance.now();
  const logger = options.logger ?? nullLogger;
  const dataDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'lookalike-eval-'));
  let engine: Engine | undefined;
  try {
    engine = await createEngine({
      dataDir,
      ...(options.modelId ? { modelId: options.modelId } : {}),
      ...(options.device ? { device: options.device } : {}),
      ...(options.whitening ? { whitening: options.whitening } : {}),
      logger,
    });
    const root = engine.library.addFolder(COLLECTION, options.folder).roots[0]?.path ?? options.folder;

    // 1. Index (the app's job, including learning the whitening at its end).
    const indexStarted = performance.now();
    const [summary] = await engine.indexer.run([COLLECTION], {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const indexSeconds = (performance.now() - indexStarted) / 1000;
    if (!summary || summary.cancelled) throw new AppError('CANCELLED', 'Evaluation cancelled while indexing.');
    const embedder = await engine.model.embedder();

    // Items and labels.
    const cid = engine.catalog.collections.require(COLLECTION).id;
    const items: { id: number; path: string; label: string }[] = [];
    for (const id of engine.catalog.items.embeddedIds(cid, embedder.modelId)) {
      const item = engine.catalog.items.get(id);
      const label = item ? labelOf(root, item.path) : undefined;
      if (item && label !== undefined) items.push({ id, path: item.path, label });
    }
    const labels: Record<string, number> = {};
    for (const it of items) labels[it.label] = (labels[it.label] ?? 0) + 1;
    if (Object.keys(labels).length < 2) {
      throw new AppError('INVALID_INPUT', `${options.folder} needs at least two sub-folders of images (one per label); found ${Object.keys(labels).length}.`);
    }
    const labelById = new Map(items.map((it) => [it.id, it.label]));

    // 2. Leave-one-out category retrieval.
    options.onStep?.(`retrieval: ${items.length} leave-one-out queries`);
    const queries: RankedQuery[] = [];
    for (const it of items) {
      if (options.signal?.aborted) throw new AppError('CANCELLED', 'Evaluation cancelled.');
      const stored = engine.catalog.items.vector(asItemId(it.id));
      if (!stored) continue;
      const hits = engine.search.byVector(decodeF16(stored.vector), {
        k: 10,
        exclude: [it.id],
        ...(options.expand === undefined ? {} : { expand: options.expand }),
      }, [cid]);
      queries.push({ ranked: hits.map((h) => labelById.get(h.id) === it.label), relevant: labels[it.label]! - 1 });
    }
    const m = retrievalMetrics(queries, [1, 5, 10]);

    // 3. Near-duplicates.
    const n = options.nearDuplicates ?? 300;
    let nearDuplicate: EvalReport['nearDuplicate'] = null;
    let queryRate: number | null = null;
    if (n > 0) {
      const kinds = options.kinds ?? ALTERATION_KINDS;
      const originals = sampleDeterministic([...items].sort((a, b) => (a.path < b.path ? -1 : 1)), n, options.seed ?? 7);
      const work = originals.flatMap((o) => kinds.map((kind) => ({ original: o, kind })));
      const hitsByKind = new Map<AlterationKind, { hits: number; total: number }>(kinds.map((k) => [k, { hits: 0, total: 0 }]));
      let failedQueries = 0;
      let embedSeconds = 0;
      let embedded = 0;
      const prepare = async (w: (typeof work)[number]) => {
        try {
          const altered = await alterImage(w.original.path, w.kind);
          return { w, decoded: await decodeForModel(altered.data, embedder.input) };
        } catch (err) {
          logger.warn('near-duplicate query could not be made', { path: w.original.path, kind: w.kind, error: (err as Error).message });
          return { w, decoded: undefined };
        }
      };
      let next = Promise.all(work.slice(0, QUERY_BATCH).map(prepare));
      for (let s = 0; s < work.length; s += QUERY_BATCH) {
        if (options.signal?.aborted) throw new AppError('CANCELLED', 'Evaluation cancelled.');
        const batch = await next;
        next = Promise.all(work.slice(s + QUERY_BATCH, s + 2 * QUERY_BATCH).map(prepare));
        const ok = batch.filter((b): b is typeof b & { decoded: NonNullable<typeof b.decoded> } => b.decoded !== undefined);
        failedQueries += batch.length - ok.length;
        const t0 = performance.now();
        const vectors = await embedder.embed(ok.map((b) => b.decoded.pixels));
        embedSeconds += (performance.now() - t0) / 1000;
        embedded += ok.length;
        ok.forEach((b, i) => {
          const [top] = engine!.search.byVector(vectors[i]!, { k: 1, ...(options.expand === undefined ? {} : { expand: options.expand }) }, [cid]);
          const tally = hitsByKind.get(b.w.kind)!;
          tally.total += 1;
          if (top?.id === b.w.original.id) tally.hits += 1;
        });
        if ((s / QUERY_BATCH) % 20 === 0) options.onStep?.(`near-duplicates: ${Math.min(s + QUERY_BATCH, work.length)}/${work.length} queries`);
      }
      const recallAt1: Partial<Record<AlterationKind, number>> = {};
      for (const [kind, t] of hitsByKind) recallAt1[kind] = t.total === 0 ? 0 : t.hits / t.total;
      const values = Object.values(recallAt1);
      nearDuplicate = { originals: originals.length, recallAt1, mean: values.reduce((a, b) => a + b, 0) / Math.max(1, values.length), failedQueries };
      queryRate = embedSeconds > 0 ? embedded / embedSeconds : null;
    }

    const t = engine.model.transformInfo();
    return {
      model: { id: engine.modelId, embedderId: embedder.modelId, dim: embedder.dim, device: embedder.device, transform: t ? { kind: t.kind, outputDim: t.outputDim, samples: t.samples } : null },
      dataset: { folder: root, images: items.length, labels, failed: summary.failed },
      retrieval: {
        queries: m.queries,
        mapAt10: m.mapAt10,
        precisionAt1: m.precisionAt1,
        recallAt1: m.recallAt[1] ?? 0,
        recallAt5: m.recallAt[5] ?? 0,
        recallAt10: m.recallAt[10] ?? 0,
        expand: options.expand ?? 'auto',
      },
      nearDuplicate,
      throughput: { indexImagesPerSecond: summary.indexed / Math.max(summary.seconds, 1e-9), indexSeconds, queryImagesPerSecond: queryRate },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await engine?.close();
    if (options.workDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}
