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
const absPath = z.string().min(1).max(4096);
const itemId = z.number().int().positive();

export const CropSchema = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

/** Where a query image comes from: a catalog item, raw bytes (drop/paste, base64) or a path (CLI only). */
export const QueryImageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('item'), id: itemId }),
  z.object({ kind: z.literal('bytes'), base64: z.string().min(1).max(70_000_000) }),
  z.object({ kind: z.literal('path'), path: absPath }),
]);

export const CollectionSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  roots: z.array(z.object({ path: z.string(), reference: z.boolean() })),
  itemCount: z.number().int(),
  failedCount: z.number().int(),
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
});

export const SearchHitSchema = ItemSchema.extend({ score: z.number() });

export const FailedItemSchema = z.object({
  path: z.string(),
  collection: z.string(),
  code: z.enum(ERROR_CODES),
  reason: z.string(),
});

export const ProgressSchema = z.object({
  jobId: z.string(),
  kind: z.enum(['index', 'reembed', 'dupes', 'match', 'ocr']),
  phase: z.enum(['scanning', 'embedding', 'saving', 'done', 'cancelled', 'failed']),
  done: z.number().int(),
  total: z.number().int(),
  failed: z.number().int(),
  rate: z.number(),
  etaSeconds: z.number().nullable(),
  message: z.string().optional(),
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
});

export const StatsSchema = z.object({
  modelId: z.string(),
  dimensions: z.number().int(),
  itemCount: z.number().int(),
  vectorCount: z.number().int(),
  failedCount: z.number().int(),
  indexBytes: z.number().int(),
  catalogBytes: z.number().int(),
  collections: z.array(
    z.object({ name: z.string(), itemCount: z.number().int(), failedCount: z.number().int() }),
  ),
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
  'library:removeFolder': op(z.object({ collection: collectionName, path: absPath }), CollectionSchema),
  'library:errors': op(z.object({ collection: collectionName.optional() }), z.array(FailedItemSchema)),
  'library:stats': op(z.object({}), StatsSchema),
  'index:start': op(z.object({ collection: collectionName.optional() }), z.object({ jobId: z.string() })),
  'index:cancel': op(z.object({ jobId: z.string().min(1).max(100) }), z.object({ cancelled: z.boolean() })),
  'index:status': op(z.object({}), z.object({ running: ProgressSchema.nullable(), last: IndexSummarySchema.nullable() })),
  'items:get': op(z.object({ id: itemId }), ItemSchema),
  'search:byImage': op(
    z.object({
      image: QueryImageSchema,
      crop: CropSchema.optional(),
      k: z.number().int().min(1).max(1000).default(50),
      minScore: z.number().min(-1).max(1).optional(),
      collections: z.array(collectionName).max(100).optional(),
    }),
    z.object({ hits: z.array(SearchHitSchema), queryMs: z.number() }),
  ),
} as const;

/** Events pushed from the engine to every transport's subscribers. */
export const events = {
  'index:onProgress': ProgressSchema,
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

/** What the engine implements and every transport calls: one async function per contract entry. */
export type ApiHandlers = { [C in Channel]: (input: ApiParsedInput<C>) => Promise<ApiOutput<C>> };

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
