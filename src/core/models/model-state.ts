/**
 * Which model this data folder's vectors come from, the embedder (opened lazily: `stats`, `errors` and search by
 * catalog item never load ONNX), the folder's learned vector transform (whitening, see vectors/whitening-store.ts)
 * and the vector indexes built for both. The catalog records the model; mixing vectors of two models is refused
 * with MODEL_MISMATCH, never done silently (switching re-embeds: jobs/reembed.job.ts).
 *
 * Another process may change the folder while this one serves it (a CLI `index` while the app or `serve` runs):
 * before each use, one cheap look at the catalog's data version (Catalog.dataVersion) says whether anything was
 * committed elsewhere; only then are the model facts, the transform's stamp and each loaded index's id summary
 * compared, and what moved is caught up or reopened. Nothing is answered from what the catalog no longer says.
 */
import { AppError } from '../../shared/errors.js';
import { asItemId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Logger } from '../base/logger.js';
import type { Embedder } from './embedder.js';
import { DEFAULT_MODEL_ID, type OpenEmbedderOptions } from './registry.js';
import { decodeF16 } from '../base/f16.js';
import { createMatMul } from '../base/linalg.js';
import { identityTransform, type VectorTransform } from '../vectors/transform.js';
import { VectorStore } from '../vectors/vector-store.js';
import type { Calibration } from '../vectors/calibration.js';
import { calibrationFor } from '../vectors/builtin-calibrations.js';
import { labelState, learnFromProducts, supervisionDue } from '../vectors/learn-from-products.js';
import { fitCenter, fitPcaWhitening, isLearnedKind, whiteningTransform, type Whitening } from '../vectors/whitening.js';
import {
  DEFAULT_WHITENING_POLICY,
  evenSample,
  planWhitening,
  readWhitening,
  removeWhitening,
  writeWhitening,
  type WhiteningPlan,
  type WhiteningPolicy,
} from '../vectors/whitening-store.js';

export type OpenEmbedder = (options: OpenEmbedderOptions) => Promise<Embedder>;

export interface ModelStateOptions {
  catalog: Catalog;
  dataDir: string;
  logger: Logger;
  /** The model asked for (`--model`); when absent the folder's own model, else the default. */
  requestedModelId?: string;
  device?: 'cpu' | 'gpu' | 'auto';
  openEmbedder: OpenEmbedder;
  /** When to learn the folder's whitening (default DEFAULT_WHITENING_POLICY). */
  whitening?: WhiteningPolicy;
}

/** What the folder's vectors go through before the index, for stats and reports. */
export interface TransformInfo {
  id: string;
  kind: 'identity' | Whitening['kind'];
  outputDim: number;
  /** Embeddings it was learned from (0 for identity). */
  samples: number;
}

export class ModelState {
  private currentModelId: string;
  private embedderPromise: Promise<Embedder> | undefined;
  private store: VectorStore | undefined;
  /** The learned whitening for the catalog's embedder, once read (null: none stored). */
  private whitening: Whitening | null | undefined;
  /** transform() of the current whitening (building it digests the matrix: ~10 ms, too much for every query). */
  private built: { from: Whitening | null; dim: number; transform: VectorTransform } | undefined;
  /** The catalog's data version last seen (see sync()). */
  private seenVersion: number;
  /** The catalog's transform stamp when `whitening` was read. */
  private whiteningStamp: string | undefined;
  /** What the store's vectors are: the embedder and dimension it was made for. */
  private storeFacts: string | undefined;
  /** Set when another process switched the folder to a model other than the one this state was asked for. */
  private switchedAway: AppError | undefined;

  /** @throws AppError MODEL_MISMATCH when the folder holds vectors of another model than the one requested. */
  constructor(private readonly o: ModelStateOptions) {
    const stored = o.catalog.meta.get('model_id');
    const hasVectors = this.hasVectors();
    if (o.requestedModelId && stored && hasVectors && stored !== o.requestedModelId) {
      throw mismatch(`This data folder's vectors were made with model "${stored}", not "${o.requestedModelId}".`, stored);
    }
    this.currentModelId = o.requestedModelId ?? (hasVectors ? stored : undefined) ?? DEFAULT_MODEL_ID;
    this.seenVersion = o.catalog.dataVersion();
  }

  /**
   * Catches up with what another connection committed since the last call: a switched model or a re-learned
   * transform drops the indexes (the next vectors() reopens them under the new stamp), else each loaded index whose
   * ids the catalog no longer holds is marked to catch up on its next use. One ~10 µs read when nothing changed.
   */
  private sync(): void {
    const version = this.o.catalog.dataVersion();
    if (version === this.seenVersion) return;
    this.seenVersion = version;
    const { meta } = this.o.catalog;
    const storedModel = meta.get('model_id');
    if (storedModel && storedModel !== this.currentModelId && this.hasVectors()) {
      if (this.o.requestedModelId && this.o.requestedModelId !== storedModel) {
        this.switchedAway = mismatch(`Another process switched this data folder's vectors to model "${storedModel}".`, storedModel);
      } else {
        this.currentModelId = storedModel;
        const pending = this.embedderPromise;
        this.embedderPromise = undefined;
        void pending?.then((e) => e.close()).catch(() => undefined);
      }
    }
    if (meta.get('transform_stamp') !== this.whiteningStamp) {
      this.whitening = undefined;
      this.dropStore();
    } else if (this.storeFacts !== undefined && this.storeFacts !== this.currentFacts()) {
      this.dropStore();
    } else {
      this.store?.refresh();
    }
  }

  /** The embedder and dimension the catalog's vectors are made with, as one string. */
  private currentFacts(): string {
    return `${this.o.catalog.meta.get('embedder_id') ?? ''}/${this.o.catalog.meta.get('dimensions') ?? ''}`;
  }

  private dropStore(): void {
    this.store?.close();
    this.store = undefined;
    this.storeFacts = undefined;
  }

  /** The registry id of the model in use (changes only when a re-embed switches the folder's model). */
  get modelId(): string {
    return this.currentModelId;
  }

  /** The transform every stored vector and every query goes through before the index. */
  transform(): VectorTransform | undefined {
    this.sync();
    const embedderId = this.o.catalog.meta.get('embedder_id');
    const dim = Number(this.o.catalog.meta.get('dimensions'));
    if (!embedderId || !Number.isInteger(dim) || dim <= 0) return undefined;
    if (this.whitening === undefined) {
      // The stamp before the file: a transform written in between is read now and merely re-read on the next sync.
      this.whiteningStamp = this.o.catalog.meta.get('transform_stamp');
      this.whitening = readWhitening(this.o.dataDir, embedderId, dim, this.o.logger) ?? null;
    }
    if (this.built?.from !== this.whitening || this.built.dim !== dim) {
      this.built = { from: this.whitening, dim, transform: this.whitening ? whiteningTransform(this.whitening) : identityTransform(dim) };
    }
    return this.built.transform;
  }

  /** The transform in words (identity until the folder is large enough to learn one). */
  transformInfo(): TransformInfo | undefined {
    const t = this.transform();
    if (!t) return undefined;
    const w = this.whitening ?? undefined;
    return { id: t.id, kind: w?.kind ?? 'identity', outputDim: t.outputDim, samples: w?.samples ?? 0 };
  }

  /**
   * Learns (or re-learns) the folder's whitening when the policy says it is due: from all collections' stored
   * embeddings of the model in use, so that every collection is searched and matched in one space. Where imported
   * product data labels enough photos, a projection learned from it (vectors/learn-from-products.ts) replaces the
   * whitening when a leave-SKUs-out check measures it better. The indexes are not touched here; the next vectors()
   * has a new stamp and rebuilds each index from the catalog on open.
   * @returns whether the transform changed (false too when `signal` aborted it: nothing is written then).
   */
  async updateWhitening(options: { force?: boolean; signal?: AbortSignal; onStep?: (message: string) => void } = {}): Promise<boolean> {
    const { catalog, logger } = this.o;
    const embedderId = catalog.meta.get('embedder_id');
    const dim = Number(catalog.meta.get('dimensions'));
    if (!embedderId || !Number.isInteger(dim) || dim <= 0) return false;
    const policy = this.o.whitening ?? DEFAULT_WHITENING_POLICY;
    this.transform();
    const current = this.whitening ?? undefined;
    const collections = catalog.collections.list();
    const count = collections.reduce((n, c) => n + catalog.items.embeddedIdDigest(c.id, embedderId).count, 0);
    const labels = policy.supervision ? labelState(catalog, embedderId) : undefined;
    const learnedNow = current !== undefined && isLearnedKind(current.kind);
    const eligible = labels !== undefined && policy.supervision !== undefined && labels.skus >= policy.supervision.minSkus;
    // A learned transform whose labels are gone (a forgotten collection, products removed) goes back to the
    // unsupervised one.
    const stale = learnedNow && !eligible;
    let plan = planWhitening(count, dim, options.force || stale ? undefined : current, policy);
    // Re-checked when the product data changed or the labelled set grew by half, and with every re-learned base
    // while a learned projection is in use (the folder grew by half).
    const supervise =
      eligible && (options.force || supervisionDue(labels!, current?.supervision, policy.supervision!) || (learnedNow && plan !== undefined));
    if (!plan && !supervise && !stale) return false;
    if (!plan && (supervise || learnedNow)) plan = planWhitening(count, dim, undefined, policy);
    if (!plan || plan.kind === 'identity') return false;
    const started = performance.now();
    let base: Whitening;
    if (!learnedNow && current && !options.force && planWhitening(count, dim, current, policy) === undefined) {
      base = current;
    } else {
      options.onStep?.('learning the vector transform from the catalog');
      base = await this.fitUnsupervised(plan, count, dim, embedderId, policy);
      base.embeddings = count;
    }
    // A refusal stays recorded for the same product data, so that a grown folder does not re-check it for nothing.
    const keptRecord = current?.supervision && labels && current.supervision.productsStamp === labels.stamp && !current.supervision.kept ? current.supervision : undefined;
    let learned: Whitening = keptRecord && base !== current ? { ...base, supervision: keptRecord } : base;
    if (supervise && labels && policy.supervision) {
      const matmul = await createMatMul();
      try {
        const result = await learnFromProducts({
          catalog,
          embedderId,
          dim,
          embeddings: count,
          base: whiteningTransform(base),
          state: labels,
          policy: policy.supervision,
          matmul,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onStep ? { onStep: options.onStep } : {}),
        });
        logger.info(result.record.kept ? 'learned a projection from the product data' : 'the product data did not improve the vector transform; keeping it', {
          ...result.record,
        });
        learned = result.learned ? { ...result.learned, embeddings: count } : { ...base, supervision: result.record };
      } catch (err) {
        if (err instanceof AppError && err.code === 'CANCELLED') return false;
        throw err;
      } finally {
        await matmul.close();
      }
    }
    if (learned === current) return false;
    writeWhitening(this.o.dataDir, embedderId, learned);
    // A commit, so that other processes notice the new transform (sync()).
    const stamp = `${Date.now().toString(36)}-${process.pid}`;
    catalog.transaction(() => catalog.meta.set('transform_stamp', stamp));
    const changed = current === undefined || whiteningTransform(learned).id !== this.transform()?.id;
    this.whitening = learned;
    this.whiteningStamp = stamp;
    this.built = undefined;
    if (changed) this.dropStore();
    logger.info('learned the vector transform', {
      kind: learned.kind,
      outputDim: learned.outputDim,
      samples: learned.samples,
      embeddings: count,
      ms: Math.round(performance.now() - started),
    });
    return changed;
  }

  /**
   * What turns a score in the index's space into a verdict: the calibration the folder's learned transform came
   * with (its held-out SKUs), else the built-in one of the model and transform kind; undefined when neither exists.
   */
  calibration(): Calibration | undefined {
    const info = this.transformInfo();
    if (!info) return undefined;
    return calibrationFor(this.o.catalog.meta.get('embedder_id'), info.kind, this.whitening?.calibration);
  }

  private async fitUnsupervised(plan: Exclude<WhiteningPlan, { kind: 'identity' }>, count: number, dim: number, embedderId: string, policy: WhiteningPolicy): Promise<Whitening> {
    const { catalog } = this.o;
    // An even sample over the folder (by collection, then id): every collection shapes the space.
    const picked = new Set(evenSample(count, Math.min(count, policy.sampleCap)));
    const n = picked.size;
    const samples = new Float32Array(n * dim);
    let seen = 0;
    let taken = 0;
    for (const c of catalog.collections.list()) {
      for (const r of catalog.items.vectors(c.id, embedderId)) {
        if (picked.has(seen++)) decodeF16(r.vector, samples, dim * taken++);
      }
    }
    if (taken !== n) throw new Error(`whitening: sampled ${taken} of ${n} embeddings (the catalog changed meanwhile)`);
    if (plan.kind === 'center') return fitCenter(samples, n, dim);
    const matmul = await createMatMul();
    try {
      return await fitPcaWhitening(samples, n, dim, { outputDim: plan.outputDim, power: policy.power, matmul });
    } finally {
      await matmul.close();
    }
  }

  /** The embedder, opened on first use; concurrent callers share one promise, and a failed open can be retried. */
  embedder(): Promise<Embedder> {
    this.sync();
    if (this.switchedAway) return Promise.reject(this.switchedAway);
    this.embedderPromise ??= this.openEmbedder().catch((err: unknown) => {
      this.embedderPromise = undefined;
      throw err;
    });
    return this.embedderPromise;
  }

  /** The vector indexes, when the catalog knows which embedder made its vectors (else there is nothing to search). */
  vectors(): VectorStore | undefined {
    this.sync();
    if (this.switchedAway) throw this.switchedAway;
    if (this.store) return this.store;
    const embedderId = this.o.catalog.meta.get('embedder_id');
    const dim = Number(this.o.catalog.meta.get('dimensions'));
    if (!embedderId || !Number.isInteger(dim) || dim <= 0) return undefined;
    const { catalog } = this.o;
    const transform = this.transform() ?? identityTransform(dim);
    this.storeFacts = `${embedderId}/${dim}`;
    this.store = new VectorStore({
      dir: this.o.dataDir,
      embedderId,
      transform,
      logger: this.o.logger,
      source: {
        ids: (cid) => catalog.items.embeddedIds(cid, embedderId),
        digest: (cid) => catalog.items.embeddedIdDigest(cid, embedderId),
        vectors: function* (cid) {
          for (const r of catalog.items.vectors(cid, embedderId)) yield { id: r.id, vector: decodeF16(r.vector) };
        },
        page: (cid, afterId, limit) => catalog.items.vectorsPage(cid, embedderId, afterId, limit).map((r) => ({ id: r.id, vector: decodeF16(r.vector) })),
        byIds: (_cid, ids) =>
          ids.flatMap((id) => {
            const stored = catalog.items.vector(asItemId(id));
            return stored?.modelId === embedderId ? [{ id, vector: decodeF16(stored.vector) }] : [];
          }),
      },
    });
    return this.store;
  }

  /** The embedder together with the indexes its vectors go to (what indexing and image search need). */
  async forWriting(): Promise<{ embedder: Embedder; vectors: VectorStore }> {
    const embedder = await this.embedder();
    const vectors = this.vectors();
    if (!vectors) throw new Error('The model is open but the catalog does not record it.');
    return { embedder, vectors };
  }

  /**
   * Switches to `modelId` after a re-embed committed its vectors and the catalog's model facts: the old embedder,
   * transform and indexes are let go (the next vectors() rebuilds the indexes from the new embeddings).
   */
  async adopt(modelId: string): Promise<void> {
    this.dropStore();
    this.whitening = undefined;
    const pending = this.embedderPromise;
    this.embedderPromise = undefined;
    this.currentModelId = modelId;
    const embedder = await pending?.catch(() => undefined);
    await embedder?.close();
  }

  async close(): Promise<void> {
    this.dropStore();
    const pending = this.embedderPromise;
    this.embedderPromise = undefined;
    const embedder = await pending?.catch(() => undefined);
    await embedder?.close();
  }

  /** Whether any embedding is stored (not a count: counting a million embedding rows takes seconds). */
  private hasVectors(): boolean {
    return this.o.catalog.items.hasEmbeddings();
  }

  private async openEmbedder(): Promise<Embedder> {
    const { catalog, logger } = this.o;
    const embedder = await this.o.openEmbedder({
      modelId: this.modelId,
      dataDir: this.o.dataDir,
      ...(this.o.device ? { device: this.o.device } : {}),
      logger,
    });
    const storedEmbedder = catalog.meta.get('embedder_id');
    const storedDim = Number(catalog.meta.get('dimensions'));
    if (this.hasVectors()) {
      if (storedEmbedder !== embedder.modelId || storedDim !== embedder.dim) {
        await embedder.close();
        throw mismatch(
          `Model "${this.modelId}" changed since this data folder was indexed (vectors by ${storedEmbedder ?? 'unknown'}, ` +
            `${storedDim} dimensions; the model is now ${embedder.modelId}, ${embedder.dim} dimensions).`,
          this.modelId,
        );
      }
    } else if (storedEmbedder !== embedder.modelId || catalog.meta.get('model_id') !== this.modelId || storedDim !== embedder.dim) {
      // An empty catalog adopts the model it is first used with.
      catalog.transaction(() => {
        catalog.meta.set('model_id', this.modelId);
        catalog.meta.set('embedder_id', embedder.modelId);
        catalog.meta.set('dimensions', String(embedder.dim));
      });
      this.dropStore();
      this.whitening = undefined;
    }
    logger.debug('model ready', { modelId: this.modelId, embedder: embedder.modelId, dim: embedder.dim, device: embedder.device });
    return embedder;
  }
}

function mismatch(what: string, folderModel: string): AppError {
  return new AppError(
    'MODEL_MISMATCH',
    `${what} Use --model ${folderModel} with this folder, or re-embed the folder's photos with another model: ` +
      `\`lookalike models use <id>\` (its vectors stay usable until that finishes).`,
  );
}
