/**
 * The one API contract. Every operation's channel name (`domain:verb`), input and output schema live here;
 * the CLI, the local HTTP server, the Electron preload/main and the renderer's client all derive from it.
 * No channel string is written anywhere else.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.js';

const collectionName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u, 'letters, digits, space, _ . - (not starting with a symbol)');
// A NUL ends a path in every OS call: refused here as bad input, not left to fail deep inside as INTERNAL.
const absPath = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'a path cannot contain a NUL character');
const itemId = z.number().int().positive();

export const CropSchema = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

/**
 * Where a query image comes from: a catalog item, raw bytes (drop/paste, base64) or a path. Over HTTP and IPC a
 * path (and an item's file, when it must be read for a crop) must lie inside a collection's folders
 * (PATH_OUTSIDE_ROOTS); the CLI may name any file its user can read.
 */
export const QueryImageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('item'), id: itemId }),
  z.object({
    kind: z.literal('bytes'),
    // Base64 (standard or URL-safe); Node's decoder skips other characters silently, so "!!!!" decoded to nothing.
    base64: z
      .string()
      .min(1)
      .max(70_000_000)
      .regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'not base64-encoded bytes'),
  }),
  z.object({ kind: z.literal('path'), path: absPath }),
]);

export const CollectionSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  roots: z.array(z.object({ path: z.string(), reference: z.boolean() })),
  itemCount: z.number().int(),
  failedCount: z.number().int(),
  /**
   * Catalogued (hash, signature: duplicates already found) and waiting for the model's embedding, which a progressive
   * index run makes in its second pass; absent: none.
   */
  pendingCount: z.number().int().optional(),
  /** OCR is on for this collection (`ocr:configure`). */
  ocr: z.boolean(),
  /** Product regions on: each photo's vector averages in the crop of its main object (opt-in; absent: off). */
  regions: z.boolean().optional(),
  /** Photos over the pixel limit are indexed from a reduced decode instead of refused (opt-in; absent: off). */
  downscale: z.boolean().optional(),
});

/** The imported product data of an item (from `catalog:importCsv`). */
export const ProductSchema = z.object({
  sku: z.string(),
  title: z.string().nullable(),
  brand: z.string().nullable(),
  category: z.string().nullable(),
  price: z.number().nullable(),
  currency: z.string().nullable(),
  url: z.string().nullable(),
});

export const ItemSchema = z.object({
  id: itemId,
  path: z.string(),
  collection: z.string(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  format: z.string().nullable(),
  size: z.number().int(),
  mtimeMs: z.number(),
  /** The item's product, when imported product data names its file; absent or null otherwise. */
  product: ProductSchema.nullable().optional(),
});

/** Same product / similar / different: a calibrated verdict on a pair of photos (see VerdictFields). */
export const SameProductVerdictSchema = z.enum(['same', 'similar', 'different']);

/**
 * What a user reads instead of a raw score: the verdict and the calibrated chance (0..1) that the pair shows the
 * same product, measured on the catalog's own held-out SKUs or, without product data, built in per model. Null
 * where nothing calibrates it (a model without a calibration; a text-only hit, which has no image to compare).
 */
const verdictFields = {
  verdict: SameProductVerdictSchema.nullable().optional(),
  confidence: z.number().min(0).max(1).nullable().optional(),
};

/** `score`: the cosine in the index's space (by image), or the text relevance (search:byText); see verdictFields. */
export const SearchHitSchema = ItemSchema.extend({
  score: z.number(),
  ...verdictFields,
  /** image: ranked by similarity to the query photo; text: found by filter and free text alone (no photo to compare). */
  matchedBy: z.enum(['image', 'text']).optional(),
  /**
   * search:byImage: the other catalog items byte-identical to this one (same content hash) that the search found,
   * shown with it as one result instead of as hits of their own; for find-similar the query item itself is among
   * them, never the hit. Absent: no copies.
   */
  copies: z.array(z.object({ id: itemId, path: z.string(), collection: z.string() })).max(100).optional(),
  /**
   * search:byImage: the hit's product (SKU) has another photo elsewhere in the folder that matches the query better;
   * the hit's score and verdict are that photo's, and this names it. Absent: the hit's own photo matched.
   */
  via: z.object({ id: itemId, path: z.string() }).optional(),
});

export const FailedItemSchema = z.object({
  path: z.string(),
  collection: z.string(),
  code: z.enum(ERROR_CODES),
  reason: z.string(),
  /** Refused for its pixels alone: indexing its collection downscaled (`index:start` `downscale`) would take it. */
  downscalable: z.boolean().optional(),
});

export const ProgressSchema = z.object({
  jobId: z.string(),
  kind: z.enum(['index', 'reembed', 'dupes', 'match', 'ocr']),
  /** `fingerprinting`: a progressive run's first pass (hashes, signatures); `embedding`: the model's pass. */
  phase: z.enum(['scanning', 'fingerprinting', 'embedding', 'saving', 'done', 'cancelled', 'failed']),
  done: z.number().int(),
  total: z.number().int(),
  failed: z.number().int(),
  rate: z.number(),
  etaSeconds: z.number().nullable(),
  message: z.string().optional(),
  /** The collection an index job is working on (a job may index several, one after another). */
  collection: z.string().optional(),
});

/**
 * Where an index run's time went, in milliseconds. The main line (scan, diff, wait, preprocess, inference, write,
 * save, other) runs one stage at a time and adds up to the run's wall time; `wait` is time the main line stood idle
 * waiting for files to be read and decoded; `preprocess` and `inference` are its wait for a batch's vectors, split as
 * the embedder reports its own time (on worker threads, several batches embed at once). Read, hash, decode and signature run ahead of the main line, several files
 * at once: each is that work's time summed over the files, which overlaps the main line (and may exceed it).
 */
export const IndexStagesSchema = z.object({
  scanMs: z.number(),
  diffMs: z.number(),
  waitMs: z.number(),
  preprocessMs: z.number(),
  inferenceMs: z.number(),
  writeMs: z.number(),
  saveMs: z.number(),
  otherMs: z.number(),
  readMs: z.number(),
  hashMs: z.number(),
  decodeMs: z.number(),
  signatureMs: z.number(),
});

export const IndexSummarySchema = z.object({
  collection: z.string(),
  indexed: z.number().int(),
  unchanged: z.number().int(),
  moved: z.number().int(),
  removed: z.number().int(),
  failed: z.number().int(),
  cancelled: z.boolean(),
  seconds: z.number(),
  stages: IndexStagesSchema.optional(),
  /** Files a progressive run catalogued in its first pass (before their embeddings); absent: a one-pass run. */
  fingerprinted: z.number().int().optional(),
  /** Seconds from the start to the end of that first pass: when duplicates could be listed. */
  fingerprintSeconds: z.number().optional(),
  /** The collection's items still waiting for their embedding after the run (a cancelled run leaves some). */
  pending: z.number().int().optional(),
});

export const StatsSchema = z.object({
  modelId: z.string(),
  dimensions: z.number().int(),
  itemCount: z.number().int(),
  vectorCount: z.number().int(),
  failedCount: z.number().int(),
  /** Items waiting for their embedding (progressive indexing); absent: none. */
  pendingCount: z.number().int().optional(),
  indexBytes: z.number().int(),
  catalogBytes: z.number().int(),
  collections: z.array(
    z.object({ name: z.string(), itemCount: z.number().int(), failedCount: z.number().int(), pendingCount: z.number().int().optional() }),
  ),
});

export const KEEPER_RULES = ['largest-pixels', 'largest-file', 'oldest', 'newest', 'shortest-path', 'preferred-folder'] as const;

/** Why a file is a near-duplicate of its group's keeper (or representative), most telling first. */
export const REASON_CODES = ['rotated', 'mirrored', 'contained', 'cropped', 'resized', 'stretched', 'recoloured', 'greyscale', 'edited', 'recompressed'] as const;
export type ReasonCode = (typeof REASON_CODES)[number];
export const PairReasonSchema = z.object({
  codes: z.array(z.enum(REASON_CODES)).min(1),
  /** With 'rotated': how far one is turned from the other, whole degrees (0..180]; otherwise null. */
  angle: z.number().min(0).max(180).nullable(),
});
export type PairReason = z.infer<typeof PairReasonSchema>;

/** A member of a duplicate group, with what a side-by-side comparison shows (size, resolution, format, date). */
export const DupeItemSchema = ItemSchema.extend({
  /** Detail agreement with the group's keeper, 0..1 (1: identical file). */
  score: z.number(),
  /** keeper: the suggested file to keep; remove: suggested for removal; reference: under a reference folder, kept. */
  role: z.enum(['keeper', 'remove', 'reference']),
  /** Byte-identical to the keeper. */
  identical: z.boolean(),
  /** Why it is a near-duplicate (null for the keeper and for byte-identical files). */
  reason: PairReasonSchema.nullable(),
});

export const DupeGroupSchema = z.object({
  id: z.string(),
  keeperId: itemId,
  /** The keeper first. */
  items: z.array(DupeItemSchema),
  reclaimableBytes: z.number().int(),
});

const ActionIssueSchema = z.object({ path: z.string(), code: z.string(), reason: z.string() });

export const DupeActionSchema = z.object({
  id: z.number().int(),
  kind: z.enum(['trash', 'move', 'not-duplicate']),
  destination: z.string().nullable(),
  createdAt: z.number(),
  finishedAt: z.number().nullable(),
  undoneAt: z.number().nullable(),
  items: z.number().int(),
  done: z.number().int(),
});

export const MatchVerdictSchema = z.enum(['same', 'similar']);
export const MatchDecisionSchema = z.enum(['accepted', 'rejected']);

export const MatchHitSchema = z.object({
  item: ItemSchema,
  /** Cosine similarity of the embeddings (as in search). */
  score: z.number(),
  verdict: MatchVerdictSchema,
  /** The calibrated chance (0..1) that the pair is the same product; null where the model has no calibration. */
  confidence: z.number().min(0).max(1).nullable().optional(),
  /** The user's persisted decision on this pair, if any. */
  decision: MatchDecisionSchema.nullable(),
});

export const MatchRowSchema = z.object({ ours: ItemSchema, matches: z.array(MatchHitSchema) });

export const MatchThresholdsSchema = z.object({
  modelId: z.string(),
  /** Cosine at or above which a pair is `same` even when the pictures do not line up (another shot of a product). */
  same: z.number(),
  /** Cosine at or above which a pair is `similar`. */
  similar: z.number(),
  /** builtin: measured for this model on the benchmark set; catalog: derived from this catalog's neighbour scores. */
  source: z.enum(['builtin', 'catalog']),
  /**
   * When set, verdicts come from this calibration instead of `same` / `similar` (which then say nothing): the
   * chance of "same product" from which a pair is `same` / `similar`, where it was fitted, and its measured
   * precision of `same` on held-out data (null where it gave no `same` there).
   */
  calibration: z
    .object({ same: z.number(), similar: z.number(), source: z.enum(['builtin', 'catalog']), precision: z.number().nullable() })
    .nullable()
    .optional(),
});

const matchRunInput = z.object({
  ours: collectionName,
  theirs: collectionName,
  /** Matches per item of ours. */
  k: z.number().int().min(1).max(50).default(5),
  /** Each item of theirs matched to at most one of ours (and vice versa), best pairs first. */
  oneToOne: z.boolean().default(false),
});

const filterValues = z.array(z.string().min(1).max(200)).max(100);

/** The most items one `items:browse` page holds (the gallery asks page by page as it scrolls). */
export const BROWSE_PAGE_MAX = 200;
export const BROWSE_SORTS = ['name', 'date', 'price'] as const;

/** One sub-folder in the folder browser. */
export const FolderEntrySchema = z.object({ name: z.string(), path: z.string() });

/**
 * Structured filters and free text over items' product data (all given ones must hold). Text is matched with
 * SQLite FTS5 over sku, title, brand, category, file name and OCR text: every word must occur.
 */
export const ItemFilterSchema = z.object({
  category: filterValues.optional(),
  brand: filterValues.optional(),
  sku: filterValues.optional(),
  priceMin: z.number().finite().optional(),
  priceMinExclusive: z.boolean().optional(),
  priceMax: z.number().finite().optional(),
  priceMaxExclusive: z.boolean().optional(),
  text: z.string().max(1000).optional(),
});

export const PRODUCT_FIELDS = ['sku', 'title', 'brand', 'category', 'price', 'currency', 'url', 'image'] as const;
const columnName = z.string().min(1).max(200);

export const ColumnMappingSchema = z.object({
  sku: z.string().nullable(),
  title: z.string().nullable(),
  brand: z.string().nullable(),
  category: z.string().nullable(),
  price: z.string().nullable(),
  currency: z.string().nullable(),
  url: z.string().nullable(),
  image: z.string().nullable(),
});

export const ImportCsvResultSchema = z.object({
  collection: z.string(),
  delimiter: z.string(),
  headers: z.array(z.string()),
  /** Field → CSV column (detected from common header names, overridden by the input's mapping). */
  mapping: ColumnMappingSchema,
  /** The first data rows as parsed (cells in `headers` order). */
  sample: z.array(z.array(z.string())),
  /** Null in preview mode (nothing written). */
  summary: z
    .object({
      rows: z.number().int(),
      products: z.number().int(),
      inserted: z.number().int(),
      updated: z.number().int(),
      imagesLinked: z.number().int(),
      skippedRows: z.array(z.object({ row: z.number().int(), reason: z.string() })),
      /** SKUs whose image references match no file (`missing`), or that name no image. */
      unmatchedRows: z.array(z.object({ row: z.number().int(), sku: z.string(), missing: z.array(z.string()) })),
      /** The collection's image files no row names. */
      unmatchedImages: z.array(z.string()),
      conflicts: z.array(z.object({ path: z.string(), skus: z.array(z.string()) })),
    })
    .nullable(),
});

export const OcrLineSchema = z.object({
  text: z.string(),
  confidence: z.number(),
  /** Corners in image pixels: top-left, top-right, bottom-right, bottom-left. */
  box: z.array(z.tuple([z.number(), z.number()])),
});

export const CategorySuggestionSchema = z.object({
  item: ItemSchema,
  category: z.string(),
  /** Similarity-weighted share of the neighbours' votes for `category`, 0..1. */
  confidence: z.number(),
  /** How many categorized neighbours voted. */
  votes: z.number().int(),
});

const modelId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a model id: lower-case letters, digits, ".", "_" or "-"');

/** A model the data folder can use (built-in or added by the user). */
export const ModelInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  description: z.string().optional(),
  /** Length of the raw embedding. */
  dim: z.number().int(),
  input: z.object({ width: z.number().int(), height: z.number().int(), resize: z.enum(['squash', 'center-crop', 'pad']) }),
  /** Test-time augmentation: views embedded besides the image itself and averaged (each costs one inference). */
  tta: z.object({ flip: z.boolean(), zoomOut: z.number().nullable() }),
  builtin: z.boolean(),
  /** False for a built-in whose files were not built yet. */
  available: z.boolean(),
  /** The model this data folder's vectors come from (or will, when nothing is indexed yet). */
  active: z.boolean(),
  license: z.string(),
});

/** What the folder's vectors go through before the index: raw, centred, or PCA-whitened (learned from `samples`). */
export const TransformInfoSchema = z.object({
  /** lda / wcw: learned from the catalog's product data (LDA, or the within-SKU whitening alone). */
  kind: z.enum(['identity', 'center', 'pca', 'lda', 'wcw']),
  outputDim: z.number().int(),
  samples: z.number().int(),
});

/** The most entries the query history keeps (history:list). */
export const HISTORY_MAX = 20;

/** Asks a search to be recorded in the query history once it has answered, under this label. */
const historyInput = z.object({ label: z.string().min(1).max(300) }).optional();

/**
 * One past query. image: a dropped or pasted photo (its kept copy from history:get, `width × height`, with a small
 * WebP `thumb`); item: find-similar of a catalog item (`itemId`); text: filters and free text alone. `crop` is in the
 * pixels of the kept photo (item: of the item's photo); `filter` the product filters it ran with.
 */
export const HistoryEntrySchema = z.object({
  id: z.number().int().positive(),
  kind: z.enum(['image', 'item', 'text']),
  label: z.string().max(300),
  usedAt: z.number(),
  itemId: itemId.nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  thumb: z.string().max(200_000).nullable(),
  crop: CropSchema.nullable(),
  filter: ItemFilterSchema.nullable(),
});

function op<I extends z.ZodType, O extends z.ZodType>(input: I, output: O) {
  return { input, output } as const;
}

export const api = {
  'library:listCollections': op(z.object({}), z.array(CollectionSchema)),
  'library:addFolder': op(
    z.object({ collection: collectionName, path: absPath, reference: z.boolean().optional() }),
    CollectionSchema,
  ),
  /**
   * The sub-folders of a folder (default: the home folder), for the browser host's folder picker: folders only,
   * hidden and system folders left out, at most 500. `~` and `~/x` name the home folder.
   */
  'library:browseFolders': op(
    z.object({ path: absPath.optional() }),
    z.object({
      path: z.string(),
      parent: z.string().nullable(),
      folders: z.array(FolderEntrySchema).max(500),
      truncated: z.boolean(),
      home: z.string(),
    }),
  ),
  'library:removeFolder': op(z.object({ collection: collectionName, path: absPath }), CollectionSchema),
  'library:errors': op(z.object({ collection: collectionName.optional() }), z.array(FailedItemSchema)),
  'library:stats': op(z.object({}), StatsSchema),
  /** Removes a collection and every byte derived from it (rows, vectors, thumbnails); its image files stay. */
  'library:forget': op(
    z.object({ collection: collectionName }),
    z.object({ collection: z.string(), items: z.number().int(), vectors: z.number().int(), thumbnails: z.number().int() }),
  ),
  /**
   * `regions`: first turn the collections' product regions on or off; `downscale`: first let their photos over the
   * pixel limit be indexed downscaled, or not (each kept as their setting; see CollectionSchema).
   */
  'index:start': op(
    z.object({ collection: collectionName.optional(), regions: z.boolean().optional(), downscale: z.boolean().optional() }),
    z.object({ jobId: z.string() }),
  ),
  'index:cancel': op(z.object({ jobId: z.string().min(1).max(100) }), z.object({ cancelled: z.boolean() })),
  'index:status': op(z.object({}), z.object({ running: ProgressSchema.nullable(), last: IndexSummarySchema.nullable() })),
  'items:get': op(z.object({ id: itemId }), ItemSchema),
  /** A collection's indexed items without a query, a page at a time: sorted (nulls last) and filtered by product data. */
  'items:browse': op(
    z.object({
      collection: collectionName,
      sort: z.enum(BROWSE_SORTS).default('name'),
      descending: z.boolean().default(false),
      brand: filterValues.optional(),
      category: filterValues.optional(),
      offset: z.number().int().min(0).max(100_000_000).default(0),
      limit: z.number().int().min(1).max(BROWSE_PAGE_MAX).default(100),
    }),
    z.object({ items: z.array(ItemSchema).max(BROWSE_PAGE_MAX), total: z.number().int() }),
  ),
  /** The brands and categories that occur in a collection's indexed items, with counts (at most 1000 of each). */
  'items:facets': op(
    z.object({ collection: collectionName }),
    z.object({
      brands: z.array(z.object({ value: z.string(), count: z.number().int() })).max(1000),
      categories: z.array(z.object({ value: z.string(), count: z.number().int() })).max(1000),
    }),
  ),
  'models:list': op(
    z.object({}),
    z.object({ active: z.string(), transform: TransformInfoSchema.nullable(), models: z.array(ModelInfoSchema) }),
  ),
  /**
   * Re-embeds every indexed photo with another model, then switches the folder to it (a job like `index:start`:
   * progress on `index:onProgress` with kind 'reembed', cancel with `index:cancel`, resumable).
   */
  'models:use': op(z.object({ id: modelId }), z.object({ jobId: z.string() })),
  'search:byImage': op(
    z.object({
      image: QueryImageSchema,
      crop: CropSchema.optional(),
      k: z.number().int().min(1).max(1000).default(50),
      minScore: z.number().min(-1).max(1).optional(),
      collections: z.array(collectionName).max(100).optional(),
      /** Only items passing the filter, ranked by similarity (exactly, over their stored vectors). */
      filter: ItemFilterSchema.optional(),
      /** Query expansion; default: on once the folder has learned its PCA-whitening (false: plain similarity). */
      expand: z.boolean().optional(),
      /** Record the query in the history (bytes and item queries; a path is not recorded). */
      history: historyInput,
    }),
    z.object({
      hits: z.array(SearchHitSchema),
      queryMs: z.number(),
      /**
       * The query image has more pixels than the limit (its size and the limit): it was searched from a reduced
       * decode, not refused.
       */
      downscaled: z.object({ width: z.number().int(), height: z.number().int(), maxPixels: z.number().int() }).optional(),
      /**
       * The objects found in the query image (its oriented pixels, main first), each worth a search of its own (as
       * `crop`); absent when the model cannot localise. At most images/locate.ts MAX_OBJECTS.
       */
      objects: z.array(CropSchema).max(8).optional(),
    }),
  ),
  /** Items by filter and free text alone; `score` is the FTS5 relevance (−bm25, higher is better; 0 without text). */
  'search:byText': op(
    z.object({
      filter: ItemFilterSchema,
      k: z.number().int().min(1).max(1000).default(50),
      collections: z.array(collectionName).max(100).optional(),
      /** Record the query in the history. */
      history: historyInput,
    }),
    z.object({ hits: z.array(SearchHitSchema), queryMs: z.number() }),
  ),
  /**
   * The last queries, newest first (at most HISTORY_MAX; kept in the data folder's catalog, so they survive a reload
   * and a restart). A query asked again moves to the top; a refinement of the newest (its filters changed within
   * 30 s) replaces it.
   */
  'history:list': op(z.object({}), z.object({ entries: z.array(HistoryEntrySchema).max(HISTORY_MAX) })),
  /**
   * One entry with its kept photo (image kind: base64, at most ~2 MB; null otherwise), to ask it again.
   * @throws NOT_FOUND
   */
  'history:get': op(z.object({ id: z.number().int().positive() }), z.object({ entry: HistoryEntrySchema, image: z.string().max(4_000_000).nullable() })),
  'history:remove': op(z.object({ id: z.number().int().positive() }), z.object({ removed: z.boolean() })),
  'history:clear': op(z.object({}), z.object({ removed: z.number().int() })),
  /**
   * Imports product data from CSV into a collection (re-import updates products in place), or with `preview`
   * only parses it and returns the first rows and the detected mapping. Over a transport a `path` source must lie
   * inside a collection's folders; send `text` otherwise.
   */
  'catalog:importCsv': op(
    z.object({
      collection: collectionName,
      source: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('path'), path: absPath }),
        z.object({ kind: z.literal('text'), text: z.string().max(50_000_000) }),
      ]),
      /** Field → CSV column name (case-insensitive); unmapped fields are detected from common header names. */
      mapping: z
        .object({
          sku: columnName.optional(),
          title: columnName.optional(),
          brand: columnName.optional(),
          category: columnName.optional(),
          price: columnName.optional(),
          currency: columnName.optional(),
          url: columnName.optional(),
          image: columnName.optional(),
        })
        .optional(),
      preview: z.boolean().default(false),
      previewRows: z.number().int().min(0).max(1000).default(10),
    }),
    ImportCsvResultSchema,
  ),
  /** Turns OCR (an optional indexing step, off by default) on or off for a collection; off forgets its text. */
  'ocr:configure': op(z.object({ collection: collectionName, enabled: z.boolean() }), z.object({ collection: z.string(), enabled: z.boolean() })),
  /** Reads the text in a collection's indexed images not read yet (OCR must be on); the text joins `search:byText`. */
  'ocr:run': op(
    z.object({ collection: collectionName }),
    z.object({
      collection: z.string(),
      processed: z.number().int(),
      withText: z.number().int(),
      failed: z.number().int(),
      skipped: z.number().int(),
      seconds: z.number(),
    }),
  ),
  /** The text OCR read from an item, with its lines' boxes (null when not read). */
  'items:text': op(z.object({ id: itemId }), z.object({ text: z.string(), lines: z.array(OcrLineSchema) }).nullable()),
  /** For embedded items without a category: the category their nearest categorized neighbours vote for. */
  'categories:suggest': op(
    z.object({
      collections: z.array(collectionName).max(100).optional(),
      /** Neighbours that vote. */
      k: z.number().int().min(1).max(100).default(10),
      minConfidence: z.number().min(0).max(1).default(0),
    }),
    z.object({ suggestions: z.array(CategorySuggestionSchema), uncategorized: z.number().int() }),
  ),
  /** Accepts the current suggestions at or above a confidence (bulk). */
  'categories:accept': op(
    z.object({
      collections: z.array(collectionName).max(100).optional(),
      k: z.number().int().min(1).max(100).default(10),
      minConfidence: z.number().min(0).max(1).default(0.8),
    }),
    z.object({ accepted: z.number().int() }),
  ),
  'dupes:list': op(
    z.object({
      collections: z.array(collectionName).max(100).optional(),
      /** Detail agreement (0..1) a near-duplicate must reach with its group's representative; default 0.5. */
      threshold: z.number().gt(0).max(1).optional(),
      /** Keeper rules, first decisive; default largest-pixels, oldest, largest-file, shortest-path. */
      keeperRules: z.array(z.enum(KEEPER_RULES)).max(KEEPER_RULES.length).optional(),
      preferredFolders: z.array(absPath).max(100).optional(),
    }),
    z.object({
      groups: z.array(DupeGroupSchema),
      totals: z.object({
        groups: z.number().int(),
        items: z.number().int(),
        removable: z.number().int(),
        reclaimableBytes: z.number().int(),
      }),
      threshold: z.number(),
      scanned: z.number().int(),
      seconds: z.number(),
    }),
  ),
  'dupes:apply': op(
    z.discriminatedUnion('action', [
      z.object({ action: z.literal('trash'), itemIds: z.array(itemId).min(1).max(100_000) }),
      z.object({ action: z.literal('move'), destination: absPath, itemIds: z.array(itemId).min(1).max(100_000) }),
    ]),
    z.object({
      actionId: z.number().int(),
      kind: z.enum(['trash', 'move', 'not-duplicate']),
      done: z.number().int(),
      bytes: z.number().int(),
      skipped: z.array(ActionIssueSchema),
    }),
  ),
  'dupes:undo': op(
    z.object({ actionId: z.number().int().positive().optional() }),
    z.object({
      actionId: z.number().int(),
      kind: z.enum(['trash', 'move', 'not-duplicate']),
      restored: z.number().int(),
      failed: z.array(ActionIssueSchema),
      /** Files to restore by hand from the OS trash (macOS, Windows). */
      manual: z.array(ActionIssueSchema),
      complete: z.boolean(),
    }),
  ),
  'dupes:markNotDuplicate': op(
    z.object({ itemIds: z.array(itemId).min(2).max(1000) }),
    z.object({ actionId: z.number().int(), pairs: z.number().int() }),
  ),
  'dupes:actions': op(z.object({ limit: z.number().int().min(1).max(1000).default(100) }), z.array(DupeActionSchema)),
  'match:run': op(
    matchRunInput,
    z.object({
      /** Every item of ours, with its matches in theirs (possibly none), best first. */
      rows: z.array(MatchRowSchema),
      /** Items of ours with no match in theirs. */
      unmatchedOurs: z.array(ItemSchema),
      /** Items of theirs that match no item of ours. */
      unmatchedTheirs: z.array(ItemSchema),
      thresholds: MatchThresholdsSchema,
      seconds: z.number(),
    }),
  ),
  'match:setDecision': op(
    z.object({ ours: itemId, theirs: itemId, decision: MatchDecisionSchema.nullable() }),
    z.object({ decision: MatchDecisionSchema.nullable() }),
  ),
  /** The match as CSV text (UTF-8 with BOM, CRLF): the client saves it; nothing is written by the engine. */
  'match:exportCsv': op(matchRunInput, z.object({ csv: z.string(), rows: z.number().int() })),
} as const;

/** Events pushed from the engine to every transport's subscribers. */
export const events = {
  'index:onProgress': ProgressSchema,
  /** The query history changed (a query recorded after its answer, an entry removed, all cleared): `history:list` again. */
  'history:onChange': z.object({ entries: z.number().int() }),
} as const;

export type Api = typeof api;
export type Channel = keyof Api;
export type ApiInput<C extends Channel> = z.input<Api[C]['input']>;
export type ApiParsedInput<C extends Channel> = z.output<Api[C]['input']>;
export type ApiOutput<C extends Channel> = z.output<Api[C]['output']>;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

/** Every handler's envelope (Signal's wrapResult idea): transports never throw across the boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: { code: (typeof ERROR_CODES)[number]; message: string } };

export const channels = Object.keys(api) as Channel[];

/** One entry of a contract (`api`, `hostApi`): its input and output schemas. */
export type Operation = { input: z.ZodType; output: z.ZodType };

/** One async function per operation of a contract, taking the parsed input: what dispatch and the transports register. */
export type Handlers<A extends Record<string, Operation>> = {
  [C in keyof A]: (input: z.output<A[C]['input']>) => Promise<z.output<A[C]['output']>>;
};

/** What the engine implements and every transport calls: one async function per contract entry. */
export type ApiHandlers = Handlers<Api>;

/**
 * Operations only the desktop host provides (native folder picker, the OS file manager). Kept apart from `api`
 * because the engine does not implement them; the browser host offers a path field and "copy path" instead.
 */
export const hostApi = {
  'host:pickFolder': op(z.object({}), z.object({ path: z.string().nullable() })),
  'host:showInFolder': op(z.object({ id: itemId }), z.object({ shown: z.boolean() })),
} as const;

export type HostApi = typeof hostApi;
export type HostChannel = keyof HostApi;
export const hostChannels = Object.keys(hostApi) as HostChannel[];
export const eventNames = Object.keys(events) as EventName[];
