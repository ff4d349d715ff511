/** "Which catalog photos look like this one?": by file, by bytes, by catalog item, optionally by a crop of it. */
import { AppError, missingCase } from '../../shared/errors.js';
import { asItemId, type CollectionId, type CropRect, type ItemId } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ItemRecord } from '../catalog/items.repo.js';
import { isFilterActive, type ItemFilter, type ProductRecord } from '../catalog/products.repo.js';
import { cropImage, decodeForModel, pixelLimit, readImageFile } from '../images/decode.js';
import type { ModelState } from '../models/model-state.js';
import { decodeF16 } from '../base/f16.js';
import { DEFAULT_EXPANSION, expandQuery, pinFirst, type ExpansionOptions } from './query-expansion.js';
import { withProductEvidence } from './product-evidence.js';
import type { ObjectBox } from '../images/locate.js';
import { embedWithRegions, queryRegionInput } from '../locate/region-embedding.js';

/**
 * A located object covering this much of the searched image is the image itself: not offered as a crop of it.
 */
const WHOLE_IMAGE_SHARE = 0.9;
import { marginsOf, verdictOf, type SameProductVerdict } from '../vectors/calibration.js';
import { textAgreements, textGrams, type AgreementOptions } from '../ocr/text-agreement.js';

/**
 * Text re-ranking (issue 20, capability 3): where a searched collection reads text (OCR on), the first image hits
 * are re-ordered by their base score plus a weight × the agreement of the query photo's text with each hit's known
 * text (ocr/text-agreement.ts over TextRepo.knownTexts: its OCR text, its product's title and brand, the OCR text
 * of the product's other photos). Each setting was chosen on the dev split of the same-product bench
 * (`--only rerank`), per regime: a folder whose transform was learned from product data combines the
 * calibration's logit (a·cosine + b·margin), any other the plain cosine. Verdicts are unchanged: on held-out photos
 * text agreement did not reach the precision a `same` promises (README, "Same product in a different photo").
 */
export interface TextRerank {
  /** Hits re-ordered (the first k that are not the query item itself). */
  k: number;
  weight: number;
  base: 'logit' | 'cosine';
  agreement: AgreementOptions;
}
export const TEXT_RERANK_LEARNED: TextRerank = { k: 5, weight: 8, base: 'logit', agreement: {} };
export const TEXT_RERANK_PLAIN: TextRerank = { k: 10, weight: 0.15, base: 'cosine', agreement: { unmatched: true } };
/** The query is read only when its first hit leads the next product by less than this (plain cosine). */
export const TEXT_GATE_MARGIN = 0.1;

export type QueryImage = { kind: 'item'; id: number } | { kind: 'bytes'; base64: string } | { kind: 'path'; path: string } | { kind: 'buffer'; bytes: Buffer };

export interface SearchOptions {
  k: number;
  /** Drop hits whose cosine score is below this. */
  minScore?: number;
  /** Collection names to search; all collections when absent or empty. */
  collections?: readonly string[];
  /** Only items passing this filter (product fields, category, price, free text). */
  filter?: ItemFilter;
  /**
   * Query expansion (see query-expansion.ts); default: on once the folder has learned a PCA-whitening. Dedupe and
   * match use the plain scores (`false`).
   */
  expand?: boolean;
  /** Item ids never returned nor used for expansion (leave-one-out evaluation: the query's own item). */
  exclude?: readonly number[];
  /**
   * One hit per content: byte-identical items (same SHA-256) are listed in the best one's `copies`, and k counts
   * distinct contents. What a person reads; dedupe, match and the eval want every item.
   */
  groupCopies?: boolean;
}

/** Filtered candidates up to this many are ranked exactly over their stored vectors; more go through the ANN. */
export const EXACT_RANK_LIMIT = 50_000;
/** The same limit when stored vectors must first go through a PCA-whitening (≈1 ms each for `accurate`). */
export const EXACT_RANK_LIMIT_WHITENED = 2_000;

export interface SearchHitRecord extends ItemRecord {
  score: number;
  product?: ProductRecord | null;
  /**
   * Same product / similar / different, from the hit's plain cosine to the query and its margin over the best hit
   * of another product (vectors/calibration.ts); null where the folder has no calibration or there is no image.
   */
  verdict?: SameProductVerdict | null;
  /** The calibrated chance (0..1) that the hit is the same product as the query; null as `verdict`. */
  confidence?: number | null;
  /** image: ranked by similarity to a photo; text: found by filter and text alone. */
  matchedBy?: 'image' | 'text';
  /**
   * Other catalog items byte-identical to this one (the same content hash) that the search also found: listed with
   * it instead of as hits of their own (SearchOptions.groupCopies), at most MAX_COPIES.
   */
  copies?: HitCopy[];
  /** The photo of the same SKU (elsewhere in the folder) whose match with the query this hit's score and verdict are. */
  via?: { id: ItemId; path: string };
}

/** The query's nearest photos in the whole folder whose SKUs may raise a searched item (product-evidence.ts). */
const SIBLING_NEIGHBOURS = 16;

/** A byte-identical copy of a hit: another file with the same content. */
export interface HitCopy {
  id: ItemId;
  path: string;
  collection: string;
}

/** Copies listed with one hit at most. */
export const MAX_COPIES = 100;

export interface SearchResult {
  hits: SearchHitRecord[];
  queryMs: number;
  /**
   * The objects found in the query image (oriented pixels of the whole image, main first) that are worth a search of
   * their own; absent when the model cannot localise.
   */
  objects?: Omit<ObjectBox, 'area'>[];
  /**
   * The query image had more pixels than the limit (its size, and the limit): it was searched from a reduced decode
   * rather than refused, as a photo is only ever seen at the model's input size.
   */
  downscaled?: { width: number; height: number; maxPixels: number };
}

/** A query image's raw vectors: the photo's own, and the crop-averaged one for collections that opt in. */
export interface QueryEmbedding {
  photo: Float32Array;
  averaged?: Float32Array;
  objects?: ObjectBox[];
  /** The oriented size of a decoded query image (absent for a stored vector). */
  size?: { width: number; height: number };
}

export interface SearchServiceDeps {
  catalog: Catalog;
  model: ModelState;
  maxPixels?: number;
  /** Query files larger than this are refused (IMAGE_TOO_LARGE), as the index job refuses them. */
  maxFileBytes?: number;
  /** Query expansion settings when it applies (default DEFAULT_EXPANSION). */
  expansion?: ExpansionOptions;
  /**
   * Reads the text of a query image (the engine's OCR): text re-ranking applies only with it, and only in
   * collections that read text.
   */
  readText?: (bytes: Buffer) => Promise<string>;
}

/** What a hit's verdict was computed from (its plain cosine and margin), kept for re-judging it with more evidence. */
interface Judged {
  score: number;
  margin: number | undefined;
}

export class SearchService {
  private readonly judged = new WeakMap<SearchHitRecord, Judged>();
  private siblings: { stamp: string; linked: boolean } | undefined;

  constructor(private readonly deps: SearchServiceDeps) {}

  /**
   * Top-k catalog items most similar to an image (best first).
   * @throws AppError ITEM_NOT_FOUND, COLLECTION_NOT_FOUND, NOT_FOUND (file), CORRUPT_IMAGE / UNSUPPORTED_IMAGE /
   *   IMAGE_TOO_LARGE / EMPTY_FILE (query image), INVALID_INPUT (crop outside the image), MODEL_* (model).
   */
  async byImage(image: QueryImage, options: SearchOptions & { crop?: CropRect }): Promise<SearchResult> {
    const started = performance.now();
    const collectionIds = this.deps.catalog.collections.resolve(options.collections).map((c) => c.id);
    const averaging = collectionIds.filter((id) => this.deps.catalog.regions.enabled(id));
    const query = await this.embedQueryWithRegions(image, options.crop, averaging.length > 0);
    // Find-similar lists the item itself first; it is no other product for the margins of the rest.
    const vectorOptions = { ...options, ...(image.kind === 'item' && !options.crop ? { self: image.id } : {}) };
    // Each collection is searched with the vector of its own kind; scores are cosines in one space, so they merge.
    const rankedIn = (ids: readonly CollectionId[], k: number, o: SearchOptions & { self?: number } = vectorOptions) => {
      const own = ids.filter((id) => this.deps.catalog.regions.enabled(id));
      const plain = ids.filter((id) => !own.includes(id));
      return query.averaged === undefined || plain.length === 0
        ? this.byVector(query.averaged ?? query.photo, { ...o, k }, ids)
        : [...this.byVector(query.photo, { ...o, k }, plain), ...this.byVector(query.averaged, { ...o, k }, own)]
            .sort((a, b) => b.score - a.score || a.id - b.id)
            .slice(0, k);
    };
    const ranked = (k: number) => this.withSiblings(rankedIn(collectionIds, k), rankedIn, collectionIds, vectorOptions, k);
    let hits = ranked(options.k);
    if (options.groupCopies) {
      let grouped = this.groupCopies(hits, vectorOptions.self);
      // Copies took places among the k: once more with as many more, so k distinct contents are shown where there are.
      if (grouped.length < hits.length && hits.length === options.k) grouped = this.groupCopies(ranked(Math.min(2 * options.k, options.k + hits.length - grouped.length)), vectorOptions.self);
      hits = grouped.slice(0, options.k);
    }
    // Text re-ranking after the grouping: one content, one place to move.
    hits = await this.rerankByText(hits, image, options.crop, collectionIds, vectorOptions.self);
    const objects = query.objects?.map(({ x, y, width, height }) => ({ x, y, width, height }));
    const limit = pixelLimit({ maxPixels: this.deps.maxPixels });
    const downscaled = query.size && query.size.width * query.size.height > limit ? { ...query.size, maxPixels: limit } : undefined;
    return { hits, queryMs: performance.now() - started, ...(objects ? { objects } : {}), ...(downscaled ? { downscaled } : {}) };
  }

  /**
   * The query image's vectors and objects (embedWithRegions): the photo's vector, and with `averaged` the
   * crop-averaged one too. An uncropped catalog item answers from the catalog: its stored vector and main box.
   */
  async embedQueryWithRegions(image: QueryImage, crop: CropRect | undefined, averaged: boolean): Promise<QueryEmbedding> {
    if (image.kind === 'item' && !crop) {
      const stored = await this.embedQuery(image);
      const region = this.deps.catalog.regions.get(asItemId(image.id));
      const item = this.deps.catalog.items.require(asItemId(image.id));
      const objects = region ? worthCropping([region.box], { width: item.width ?? 0, height: item.height ?? 0 }) : undefined;
      return { photo: stored, ...(averaged ? { averaged: stored } : {}), ...(objects ? { objects } : {}) };
    }
    const bytes = await this.queryBytes(image);
    const embedder = await this.deps.model.embedder();
    // A query photo over the pixel limit is searched downscaled (and says so) rather than refused: nothing is kept.
    const decoded = await decodeForModel(bytes, embedder.input, { ...(crop ? { crop } : {}), maxPixels: this.deps.maxPixels, downscale: true });
    const input = queryRegionInput(bytes, decoded, embedder.input, { ...(crop ? { region: crop } : {}), ...(this.deps.maxPixels === undefined ? {} : { maxPixels: this.deps.maxPixels }), downscale: true });
    const [r] = await embedWithRegions(embedder, [input], { cropAverage: averaged });
    if (!r) throw new Error('The embedder returned no vector.');
    // Boxes of a crop are in the crop's pixels: the caller shows them on the whole image.
    const shown = crop ?? { width: decoded.width, height: decoded.height };
    const objects = worthCropping(r.objects, shown).map((o) => (crop ? { ...o, x: o.x + crop.x, y: o.y + crop.y } : o));
    return { photo: r.photo, ...(r.averaged ? { averaged: r.vector } : {}), ...(r.objects.length > 0 ? { objects } : {}), size: { width: decoded.width, height: decoded.height } };
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

  /**
   * Top-k items for a raw embedding, in the given collections (all when omitted). With an active filter the
   * filtered candidates are ranked exactly by cosine against their stored vectors (a restrictive filter would
   * leave an over-fetched ANN result short); only very large candidate sets go through the ANN index.
   */
  byVector(query: Float32Array, options: SearchOptions & { self?: number }, collectionIds?: readonly CollectionId[]): SearchHitRecord[] {
    const ids = collectionIds ?? this.deps.catalog.collections.resolve(options.collections).map((c) => c.id);
    const vectors = this.deps.model.vectors();
    if (!vectors || ids.length === 0) return [];
    const q = vectors.prepare(query);
    const expansion = this.expansion(options.expand);
    let rank: (prepared: Float32Array, k: number) => { id: number; score: number }[];
    if (isFilterActive(options.filter)) {
      const candidates = this.deps.catalog.products.filter(ids, options.filter, this.embedderId());
      // A PCA-whitened folder pays ~1 ms per candidate to bring a stored vector into the index's space.
      const kind = this.deps.model.transformInfo()?.kind;
      const exactLimit = kind === 'pca' || kind === 'lda' || kind === 'wcw' ? EXACT_RANK_LIMIT_WHITENED : EXACT_RANK_LIMIT;
      if (candidates.length <= exactLimit) {
        const candidateIds = candidates.map((c) => c.id);
        rank = (prepared, k) => this.rankPrepared(prepared, candidateIds, k);
      } else {
        const allowed = new Set<number>(candidates.map((c) => c.id));
        rank = (prepared, k) => {
          let fetch = k * 10;
          for (;;) {
            const raw = vectors.searchPrepared(ids, prepared, fetch);
            const kept = raw.filter((h) => allowed.has(h.id)).slice(0, k);
            if (kept.length >= k || raw.length < fetch) return kept;
            fetch *= 4;
          }
        };
      }
    } else rank = (prepared, k) => vectors.searchPrepared(ids, prepared, k);
    const excluded = new Set(options.exclude ?? []);
    if (excluded.size > 0) {
      const inner = rank;
      rank = (prepared, k) => inner(prepared, k + excluded.size).filter((h) => !excluded.has(h.id));
    }
    let found = rank(q, expansion ? Math.max(options.k, expansion.neighbours) : options.k);
    // Verdicts are calibrated on plain cosines; an expanded search scores against the expanded query.
    const plain = new Map(found.map((h) => [h.id, h.score]));
    if (expansion && found.length > 0) {
      const neighbours = found.slice(0, expansion.neighbours).flatMap((h) => {
        const stored = this.deps.catalog.items.vector(asItemId(h.id));
        return stored ? [{ score: h.score, vector: vectors.prepare(decodeF16(stored.vector)) }] : [];
      });
      found = pinFirst(found, rank(expandQuery(q, neighbours, expansion), options.k), options.k);
    }
    found = found.slice(0, options.k).filter((h) => options.minScore === undefined || h.score >= options.minScore);
    return this.judge(this.toHits(found), q, plain, options.self);
  }

  /**
   * Adds each hit's verdict and confidence (see SearchHitRecord). A hit the plain search did not return (the
   * expansion brought it) gets its plain cosine from its stored vector.
   */
  private judge(hits: SearchHitRecord[], q: Float32Array | undefined, plain: ReadonlyMap<number, number>, self: number | undefined): SearchHitRecord[] {
    const calibration = this.deps.model.calibration();
    const vectors = this.deps.model.vectors();
    if (!calibration || !vectors || hits.length === 0) return hits.map((h) => ({ ...h, verdict: null, confidence: null, matchedBy: 'image' as const }));
    const scores = hits.map((h) => {
      const known = plain.get(h.id);
      if (known !== undefined) return known;
      const stored = q && this.deps.catalog.items.vector(asItemId(h.id));
      if (!stored) return h.score;
      const v = vectors.prepare(decodeF16(stored.vector));
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i]! * q![i]!;
      return dot;
    });
    // The query item itself (find-similar) is no competitor: it takes no part in the others' margins.
    const others = hits.map((h, i) => (h.id === self ? Number.NEGATIVE_INFINITY : scores[i]!));
    const margins = marginsOf(others, hits.map((h) => (h.product ? `sku:${h.product.sku}` : undefined)));
    return hits.map((h, i) => {
      const margin = h.id === self ? undefined : margins[i];
      // Not passed here: `inliers` of features/local-features.ts (≥ 5 → 85%) measured 66% precision on held-out
      // store photos (same-product bench, --only rerank --rerank-orb), below the model's own 85%.
      const m = margin === undefined || !Number.isFinite(margin) ? undefined : margin;
      const { verdict, confidence } = verdictOf({ score: scores[i]!, ...(m === undefined ? {} : { margin: m }) }, calibration);
      const hit = { ...h, verdict, confidence, matchedBy: 'image' as const };
      this.judged.set(hit, { score: scores[i]!, margin: m });
      return hit;
    });
  }

  /**
   * The searched collections' hits once each may take the score of a better-matching photo of its SKU in another
   * collection (search/product-evidence.ts); `hits` unchanged where nothing is raised, where a filter is active (a
   * raised item would have to pass it too), where no SKU links two collections, or where the folder has no
   * calibration of its own. A raised hit names the photo that lent its score in `via` and is judged from it.
   */
  private withSiblings(
    hits: SearchHitRecord[],
    rankedIn: (ids: readonly CollectionId[], k: number, o?: SearchOptions & { self?: number }) => SearchHitRecord[],
    collectionIds: readonly CollectionId[],
    options: SearchOptions & { self?: number },
    k: number,
  ): SearchHitRecord[] {
    const calibration = this.deps.model.calibration();
    // Only a calibration fitted on the folder's own held-out SKUs says when another photo of a SKU is the query's
    // product: a built-in one was fitted on store photo → catalog photo pairs, and store photos of one shelf look
    // more alike than that (it would call them the same product too readily). Without one nothing is borrowed.
    if (isFilterActive(options.filter) || calibration?.source !== 'catalog' || !this.siblingsLinked()) return hits;
    const everywhere = this.deps.catalog.collections.resolve(undefined).map((c) => c.id);
    const folder = rankedIn(everywhere, SIBLING_NEIGHBOURS, { ...options, expand: false });
    const skuOf = new Map<number, { sku: string; collection: number }>(
      folder.flatMap((h) => (h.product ? [[h.id, { sku: h.product.sku, collection: h.collectionId }] as const] : [])),
    );
    const excluded = new Set([...(options.exclude ?? []), ...(options.self === undefined ? [] : [options.self])]);
    const merged = withProductEvidence(
      hits,
      {
        folderHits: folder,
        skuOf: (id) => skuOf.get(id),
        itemsOfSkus: (skus) => this.deps.catalog.products.itemsOfSkus(skus, collectionIds),
        excluded,
        // A photo lends its score only where it is, by itself, the same product as the query (the folder hits are
        // plain cosines: no expansion).
        trust: (score, margin) => verdictOf({ score, ...(margin === undefined ? {} : { margin }) }, calibration).verdict === 'same',
      },
      k,
    );
    if (!merged.some((m) => m.via !== undefined)) return hits;
    // The searched collections' own records win over the folder search's; an item neither returned is read once.
    const known = new Map<number, SearchHitRecord>([...folder, ...hits].map((h) => [h.id, h]));
    for (const h of this.toHits(merged.filter((m) => !known.has(m.id)))) known.set(h.id, h);
    // A raised hit is judged from the photo that lent its score (its plain cosine; the margin among the merged hits):
    // only a photo the calibration calls the same product lends, so the verdict is that pair's.
    const plain = new Map<number, number>();
    const out = merged.map((m) => {
      const h = known.get(m.id)!;
      const from = known.get(m.via ?? m.id)!;
      plain.set(m.id, this.judged.get(from)?.score ?? from.score);
      if (m.via === undefined) return h;
      return { ...h, score: m.score, via: { id: asItemId(from.id), path: from.path } };
    });
    return this.judge(out, undefined, plain, options.self);
  }

  /** Whether some SKU has products in two collections, re-read when product data changes. */
  private siblingsLinked(): boolean {
    const stamp = this.deps.catalog.products.stamp();
    if (this.siblings?.stamp !== stamp) this.siblings = { stamp, linked: this.deps.catalog.products.hasSiblings() };
    return this.siblings.linked;
  }

  /**
   * Re-orders the first image hits by their text agreement with the query photo (see TextRerank); each keeps its
   * verdict. Hits come back untouched (same objects, same order) where it does not apply: no OCR in the engine, no
   * searched collection reading text, no hit with known text, a clear first hit, or a query without text.
   */
  private async rerankByText(hits: SearchHitRecord[], image: QueryImage, crop: CropRect | undefined, collectionIds: readonly CollectionId[], self: number | undefined): Promise<SearchHitRecord[]> {
    const { catalog, readText } = this.deps;
    if (!readText || hits.length < 2 || !collectionIds.some((id) => catalog.text.ocrEnabled(id))) return hits;
    const kind = this.deps.model.transformInfo()?.kind;
    const calibration = this.deps.model.calibration();
    const settings = (kind === 'lda' || kind === 'wcw') && calibration ? TEXT_RERANK_LEARNED : TEXT_RERANK_PLAIN;
    const window = hits.map((h, i) => ({ h, i })).filter((x) => x.h.id !== self).slice(0, settings.k);
    if (window.length < 2) return hits;
    const productOf = (h: SearchHitRecord) => (h.product ? `sku:${h.product.sku}` : `item:${h.id}`);
    // Plain cosines and margins as the verdicts were computed from (judge), else from the hits themselves.
    const fallback = marginsOf(window.map((x) => x.h.score), window.map((x) => productOf(x.h)));
    const plain = window.map((x, n) => this.judged.get(x.h) ?? { score: x.h.score, margin: fallback[n] });
    const lead = plain[0]!.margin;
    if (lead !== undefined && lead >= TEXT_GATE_MARGIN) return hits;
    const known = catalog.text.knownTexts(window.map((x) => x.h.id));
    if (known.size === 0) return hits;
    // A catalog item searched as it is has its text read already; any other query image is read now.
    const stored = image.kind === 'item' && !crop ? catalog.text.get(asItemId(image.id)) : undefined;
    let read: string;
    try {
      const bytes = stored ? undefined : await this.queryBytes(image);
      // A cropped query is the product in the crop: its text, not the whole photo's.
      read = stored ? stored.text : await readText(crop ? await cropImage(bytes!, crop, this.deps.maxPixels) : bytes!);
    } catch {
      // The text only refines the order: a query the OCR cannot read (models missing, odd image) keeps it.
      return hits;
    }
    const q = textGrams(read);
    if (q.size === 0) return hits;
    const agreement = textAgreements(q, window.map((x) => textGrams(known.get(x.h.id) ?? '')), settings.agreement);
    const combined = window.map((x, n) => {
      const j = plain[n]!;
      const base = settings.base === 'logit' && calibration ? calibration.a * j.score + calibration.b * (j.margin ?? calibration.typicalMargin) : j.score;
      return { x, value: base + settings.weight * agreement[n]! };
    });
    const order = [...combined].sort((a, b) => b.value - a.value);
    const out = [...hits];
    order.forEach((c, n) => (out[window[n]!.i] = c.x.h));
    return out;
  }

  /**
   * One hit per content, in rank order: the hits sharing a content hash become one, shown by the oldest of them (the
   * lowest id, so the same file each time: copies tie on score), the others in its `copies`, oldest first. The query
   * item itself (`self`, find-similar) never stands for its copies.
   */
  private groupCopies(hits: readonly SearchHitRecord[], self: number | undefined): SearchHitRecord[] {
    if (hits.length < 2) return [...hits];
    const hashes = this.deps.catalog.items.hashesOf(hits.map((h) => h.id));
    const groups: SearchHitRecord[][] = [];
    const at = new Map<string, SearchHitRecord[]>();
    for (const h of hits) {
      const hash = hashes.get(h.id);
      const group = hash === undefined ? undefined : at.get(hash);
      if (group) group.push(h);
      else {
        groups.push([h]);
        if (hash !== undefined) at.set(hash, groups.at(-1)!);
      }
    }
    return groups.map((group) => {
      // The same record where nothing is grouped: it keeps what `judge` noted of it (the text re-ranking reads that).
      if (group.length === 1) return group[0]!;
      const members = [...group].sort((a, b) => Number(a.id === self) - Number(b.id === self) || a.id - b.id);
      const [shown, ...rest] = members;
      const copies = rest.slice(0, MAX_COPIES).map((c) => ({ id: c.id, path: c.path, collection: c.collection }));
      const one = { ...shown!, score: group[0]!.score, copies };
      const judged = this.judged.get(group[0]!);
      if (judged) this.judged.set(one, judged);
      return one;
    });
  }

  /** The expansion to apply: asked for explicitly, else the default once the folder's vectors are PCA-whitened. */
  private expansion(asked: boolean | undefined): ExpansionOptions | undefined {
    if (asked === false) return undefined;
    if (asked === true || this.deps.model.transformInfo()?.kind === 'pca') return this.deps.expansion ?? DEFAULT_EXPANSION;
    return undefined;
  }

  /**
   * Items by filter and free text alone, best FTS5 match first (score −bm25; 0 without text).
   * @throws AppError COLLECTION_NOT_FOUND
   */
  byText(filter: ItemFilter, options: { k: number; collections?: readonly string[] }): SearchResult {
    const started = performance.now();
    const ids = this.deps.catalog.collections.resolve(options.collections).map((c) => c.id);
    if (!isFilterActive(filter)) return { hits: [], queryMs: performance.now() - started };
    const found = this.deps.catalog.products.filter(ids, filter, null, options.k);
    // No image, no visual verdict: `score` is the text relevance (higher is better), nothing a user should read.
    const hits = this.toHits(found.map((f) => ({ id: f.id, score: f.rank === null ? 0 : -f.rank }))).map((h) => ({ ...h, verdict: null, confidence: null, matchedBy: 'text' as const }));
    return { hits, queryMs: performance.now() - started };
  }

  /**
   * Cosine of the query against each candidate's stored vector in the index's space (the folder's transform
   * applied to both, as the index does); the top k, best first.
   */
  rankExactly(query: Float32Array, candidates: readonly ItemId[], k: number): { id: number; score: number }[] {
    const vectors = this.deps.model.vectors();
    if (vectors) return this.rankPrepared(vectors.prepare(query), candidates, k);
    let qn = 0;
    for (let i = 0; i < query.length; i++) qn += query[i]! * query[i]!;
    qn = Math.sqrt(qn) || 1;
    const scored: { id: number; score: number }[] = [];
    for (const id of candidates) {
      const stored = this.deps.catalog.items.vector(id);
      if (!stored || stored.dim !== query.length) continue;
      const v = decodeF16(stored.vector);
      let dot = 0;
      let vn = 0;
      for (let i = 0; i < v.length; i++) {
        dot += v[i]! * query[i]!;
        vn += v[i]! * v[i]!;
      }
      scored.push({ id, score: dot / (qn * (Math.sqrt(vn) || 1)) });
    }
    scored.sort((a, b) => b.score - a.score || a.id - b.id);
    return scored.slice(0, k);
  }

  /** rankExactly for a query already in the index's space. */
  private rankPrepared(q: Float32Array, candidates: readonly number[], k: number): { id: number; score: number }[] {
    const vectors = this.deps.model.vectors();
    if (!vectors) return [];
    const dim = this.deps.catalog.meta.get('dimensions');
    const scored: { id: number; score: number }[] = [];
    for (const id of candidates) {
      const stored = this.deps.catalog.items.vector(asItemId(id));
      if (!stored || String(stored.dim) !== dim) continue;
      const v = vectors.prepare(decodeF16(stored.vector));
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i]! * q[i]!;
      scored.push({ id, score: dot });
    }
    scored.sort((a, b) => b.score - a.score || a.id - b.id);
    return scored.slice(0, k);
  }

  /** Catalog rows (with their product) for ranked ids, in order. */
  private toHits(found: readonly { id: number; score: number }[]): SearchHitRecord[] {
    const ids = found.map((h) => h.id);
    const items = this.deps.catalog.items.getMany(ids);
    const products = this.deps.catalog.products.forItems(ids);
    const hits: SearchHitRecord[] = [];
    for (const h of found) {
      const item = items.get(asItemId(h.id));
      // An index key without a catalog row cannot survive the consistency check; skip rather than crash.
      if (item) hits.push({ ...item, score: h.score, product: products.get(item.id) ?? null });
    }
    return hits;
  }

  /** The id stored with the catalog's embeddings (null before anything was embedded). */
  private embedderId(): string | null {
    return this.deps.catalog.meta.get('embedder_id') ?? null;
  }

  private fileLimits(): { maxBytes?: number } {
    return this.deps.maxFileBytes === undefined ? {} : { maxBytes: this.deps.maxFileBytes };
  }

  private async queryBytes(image: QueryImage): Promise<Buffer> {
    switch (image.kind) {
      case 'path':
        return readImageFile(image.path, this.fileLimits());
      case 'buffer':
        return image.bytes;
      case 'bytes':
        return Buffer.from(image.base64, 'base64');
      case 'item':
        return readImageFile(this.deps.catalog.items.require(asItemId(image.id)).path, this.fileLimits());
      default:
        return missingCase(image);
    }
  }
}

/** The objects worth offering as crops of an image of `size`: those not (nearly) the whole of it. */
function worthCropping(objects: readonly ObjectBox[], size: { width: number; height: number }): ObjectBox[] {
  return objects.filter((o) => (o.width * o.height) / Math.max(1, size.width * size.height) < WHOLE_IMAGE_SHARE);
}
