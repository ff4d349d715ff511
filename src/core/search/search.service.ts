/** "Which catalog photos look like this one?": by file, by bytes, by catalog item, optionally by a crop of it. */
import { AppError, missingCase } from '../../shared/errors.js';
import { asItemId, type CollectionId, type CropRect } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ItemRecord } from '../catalog/items.repo.js';
import { decodeForModel, readImageFile } from '../images/decode.js';
import type { ModelState } from '../model-state.js';
import { decodeF16 } from '../vectors/f16.js';

export type QueryImage = { kind: 'item'; id: number } | { kind: 'bytes'; base64: string } | { kind: 'path'; path: string } | { kind: 'buffer'; bytes: Buffer };

export interface SearchOptions {
  k: number;
  /** Drop hits whose cosine score is below this. */
  minScore?: number;
  /** Collection names to search; all collections when absent or empty. */
  collections?: readonly string[];
}

export interface SearchHitRecord extends ItemRecord {
  score: number;
}

export interface SearchResult {
  hits: SearchHitRecord[];
  queryMs: number;
}

export interface SearchServiceDeps {
  catalog: Catalog;
  model: ModelState;
  maxPixels?: number;
}

export class SearchService {
  constructor(private readonly deps: SearchServiceDeps) {}

  /**
   * Top-k catalog items most similar to an image (best first).
   * @throws AppError ITEM_NOT_FOUND, COLLECTION_NOT_FOUND, NOT_FOUND (file), CORRUPT_IMAGE / UNSUPPORTED_IMAGE /
   *   IMAGE_TOO_LARGE / EMPTY_FILE (query image), INVALID_INPUT (crop outside the image), MODEL_* (model).
   */
  async byImage(image: QueryImage, options: SearchOptions & { crop?: CropRect }): Promise<SearchResult> {
    const started = performance.now();
    const collectionIds = this.resolveCollections(options.collections);
    const query = await this.embedQuery(image, options.crop);
    const hits = this.byVector(query, options, collectionIds);
    return { hits, queryMs: performance.now() - started };
  }

  /** The raw embedding of a query image (the stored one for an uncropped catalog item: no inference). */
  async embedQuery(image: QueryImage, crop?: CropRect): Promise<Float32Array> {
    if (image.kind === 'item' && !crop) {
      const stored = this.deps.catalog.items.vector(asItemId(image.id));
      if (!stored) {
        this.deps.catalog.items.require(asItemId(image.id));
        throw new AppError('NOT_FOUND', `Item ${image.id} has no embedding (it could not be indexed).`);
      }
      return decodeF16(stored.vector);
    }
    const bytes = await this.queryBytes(image);
    const embedder = await this.deps.model.embedder();
    const decoded = await decodeForModel(bytes, embedder.input, { ...(crop ? { crop } : {}), maxPixels: this.deps.maxPixels });
    const [vector] = await embedder.embed([decoded.pixels]);
    if (!vector) throw new Error('The embedder returned no vector.');
    return vector;
  }

  /** Top-k items for a raw embedding, in the given collections (all when omitted). */
  byVector(query: Float32Array, options: SearchOptions, collectionIds?: readonly CollectionId[]): SearchHitRecord[] {
    const ids = collectionIds ?? this.resolveCollections(options.collections);
    const vectors = this.deps.model.vectors();
    if (!vectors || ids.length === 0) return [];
    const found = vectors.search(ids, query, options.k).filter((h) => options.minScore === undefined || h.score >= options.minScore);
    const items = this.deps.catalog.items.getMany(found.map((h) => h.id));
    const hits: SearchHitRecord[] = [];
    for (const h of found) {
      const item = items.get(asItemId(h.id));
      // An index key without a catalog row cannot survive the consistency check; skip rather than crash.
      if (item) hits.push({ ...item, score: h.score });
    }
    return hits;
  }

  private resolveCollections(names: readonly string[] | undefined): CollectionId[] {
    const { collections } = this.deps.catalog;
    if (!names || names.length === 0) return collections.list().map((c) => c.id);
    return [...new Set(names)].map((n) => collections.require(n).id);
  }

  private async queryBytes(image: QueryImage): Promise<Buffer> {
    switch (image.kind) {
      case 'path':
        return readImageFile(image.path);
      case 'buffer':
        return image.bytes;
      case 'bytes':
        return Buffer.from(image.base64, 'base64');
      case 'item':
        return readImageFile(this.deps.catalog.items.require(asItemId(image.id)).path);
      default:
        return missingCase(image);
    }
  }
}
