/**
 * Which model this data folder's vectors come from, the embedder (opened lazily: `stats`, `errors` and search by
 * catalog item never load ONNX) and the vector indexes built for it. The catalog records the model; mixing
 * vectors of two models is refused with MODEL_MISMATCH, never done silently.
 */
import { AppError } from '../shared/errors.js';
import type { Catalog } from './catalog/catalog.js';
import type { Logger } from './logger.js';
import type { Embedder } from './models/embedder.js';
import { DEFAULT_MODEL_ID, type OpenEmbedderOptions } from './models/registry.js';
import { decodeF16 } from './vectors/f16.js';
import { identityTransform } from './vectors/transform.js';
import { VectorStore } from './vectors/vector-store.js';

export type OpenEmbedder = (options: OpenEmbedderOptions) => Promise<Embedder>;

export interface ModelStateOptions {
  catalog: Catalog;
  dataDir: string;
  logger: Logger;
  /** The model asked for (`--model`); when absent the folder's own model, else the default. */
  requestedModelId?: string;
  device?: 'cpu' | 'gpu' | 'auto';
  openEmbedder: OpenEmbedder;
}

export class ModelState {
  /** The registry id of the model in use. */
  readonly modelId: string;
  private embedderPromise: Promise<Embedder> | undefined;
  private store: VectorStore | undefined;

  /** @throws AppError MODEL_MISMATCH when the folder holds vectors of another model than the one requested. */
  constructor(private readonly o: ModelStateOptions) {
    const stored = o.catalog.meta.get('model_id');
    const hasVectors = this.vectorCount() > 0;
    if (o.requestedModelId && stored && hasVectors && stored !== o.requestedModelId) {
      throw mismatch(`This data folder's vectors were made with model "${stored}", not "${o.requestedModelId}".`, stored);
    }
    this.modelId = o.requestedModelId ?? (hasVectors ? stored : undefined) ?? DEFAULT_MODEL_ID;
  }

  /** The embedder, opened on first use; concurrent callers share one promise, and a failed open can be retried. */
  embedder(): Promise<Embedder> {
    this.embedderPromise ??= this.openEmbedder().catch((err: unknown) => {
      this.embedderPromise = undefined;
      throw err;
    });
    return this.embedderPromise;
  }

  /** The vector indexes, when the catalog knows which embedder made its vectors (else there is nothing to search). */
  vectors(): VectorStore | undefined {
    if (this.store) return this.store;
    const embedderId = this.o.catalog.meta.get('embedder_id');
    const dim = Number(this.o.catalog.meta.get('dimensions'));
    if (!embedderId || !Number.isInteger(dim) || dim <= 0) return undefined;
    const { catalog } = this.o;
    this.store = new VectorStore({
      dir: this.o.dataDir,
      embedderId,
      transform: identityTransform(dim),
      logger: this.o.logger,
      source: {
        ids: (cid) => catalog.items.embeddedIds(cid, embedderId),
        vectors: function* (cid) {
          for (const r of catalog.items.vectors(cid, embedderId)) yield { id: r.id, vector: decodeF16(r.vector) };
        },
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

  async close(): Promise<void> {
    this.store?.close();
    this.store = undefined;
    const pending = this.embedderPromise;
    this.embedderPromise = undefined;
    const embedder = await pending?.catch(() => undefined);
    await embedder?.close();
  }

  private vectorCount(): number {
    return this.o.catalog.items.totals().vectors;
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
    if (this.vectorCount() > 0) {
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
      this.store = undefined;
    }
    logger.debug('model ready', { modelId: this.modelId, embedder: embedder.modelId, dim: embedder.dim, device: embedder.device });
    return embedder;
  }
}

function mismatch(what: string, folderModel: string): AppError {
  return new AppError(
    'MODEL_MISMATCH',
    `${what} Use --model ${folderModel} with this folder, or choose a new data folder with --data to index with another model ` +
      `(re-embedding an existing folder is not supported yet).`,
  );
}
