/**
 * A small in-memory `ServedEngine` for the transport tests (server, Electron main): real contract shapes,
 * no model or database. Handlers are written by derived function name, so no channel string appears here.
 */
import { api, type EventName, type EventPayload } from '../../src/shared/api.js';
import { byChannel, type HandlersByFnName } from '../../src/shared/bridge.js';
import { AppError } from '../../src/shared/errors.js';
import type { ServedEngine } from '../../src/shared/engine-port.js';

export interface FakeEngine extends ServedEngine {
  /** Every handler call, by client function name, with the (parsed) input it received. */
  calls: { fn: string; input: unknown }[];
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void;
}

type Item = Awaited<ReturnType<HandlersByFnName<typeof api>['itemsGet']>>;

const item = (id: number): Item => ({
  id,
  path: `/photos/item-${id}.jpg`,
  collection: 'catalog',
  width: 640,
  height: 480,
  format: 'jpeg',
  size: 1234,
  mtimeMs: 1_700_000_000_000,
});

export function createFakeEngine(options: { thumbFile?: string; imageFile?: string } = {}): FakeEngine {
  const calls: FakeEngine['calls'] = [];
  const listeners = new Map<EventName, Set<(p: never) => void>>();
  const known = new Set([1, 2, 3]);
  const requireItem = (id: number) => {
    if (!known.has(id)) throw new AppError('ITEM_NOT_FOUND', `No item with id ${id}.`);
  };
  const collection = (name: string, path?: string) => ({
    id: 1,
    name,
    roots: path ? [{ path, reference: false }] : [],
    itemCount: 3,
    failedCount: 0,
    ocr: false,
  });

  const handlers: HandlersByFnName<typeof api> = {
    libraryListCollections: async () => [collection('catalog', '/photos')],
    libraryAddFolder: async ({ collection: name, path }) => {
      if (path === '/missing') throw new AppError('FOLDER_NOT_FOUND', 'No such folder: /missing');
      if (path === '/boom') throw new Error('secret internal detail at /home/user');
      return collection(name, path);
    },
    libraryBrowseFolders: async () => ({ path: '/photos', parent: null, folders: [{ name: 'shoes', path: '/photos/shoes' }], truncated: false, home: '/photos' }),
    libraryRemoveFolder: async ({ collection: name }) => collection(name),
    libraryErrors: async () => [],
    libraryForget: async ({ collection: name }) => ({ collection: name, items: 3, vectors: 3, thumbnails: 0 }),
    libraryStats: async () => ({
      modelId: 'fake',
      dimensions: 4,
      itemCount: 3,
      vectorCount: 3,
      failedCount: 0,
      indexBytes: 0,
      catalogBytes: 0,
      collections: [{ name: 'catalog', itemCount: 3, failedCount: 0 }],
    }),
    indexStart: async () => ({ jobId: 'job-1' }),
    indexCancel: async () => ({ cancelled: true }),
    indexStatus: async () => ({ running: null, last: null }),
    itemsGet: async ({ id }) => {
      requireItem(id);
      // An extra field the contract does not promise: transports must strip it.
      return { ...item(id), internalHash: 'deadbeef' } as Item;
    },
    itemsBrowse: async () => ({ items: [item(1), item(2), item(3)], total: 3 }),
    itemsFacets: async () => ({ brands: [{ value: 'Acme', count: 3 }], categories: [] }),
    modelsList: async () => ({
      active: 'fake',
      transform: { kind: 'identity' as const, outputDim: 4, samples: 0 },
      models: [
        {
          id: 'fake',
          name: 'Fake',
          version: '1.0.0',
          dim: 4,
          input: { width: 8, height: 8, resize: 'center-crop' as const },
          tta: { flip: false, zoomOut: null },
          builtin: true,
          available: true,
          active: true,
          license: 'MIT',
        },
      ],
    }),
    modelsUse: async () => ({ jobId: 'job-2' }),
    searchByImage: async () => ({ hits: [1, 2, 3].map((id, i) => ({ ...item(id), score: 0.9 - i * 0.1 })), queryMs: 3 }),
    dupesList: async () => ({ groups: [], totals: { groups: 0, items: 0, removable: 0, reclaimableBytes: 0 }, threshold: 0.5, scanned: 3, seconds: 0 }),
    dupesApply: async ({ action }) => ({ actionId: 1, kind: action, done: 0, bytes: 0, skipped: [] }),
    dupesUndo: async () => ({ actionId: 1, kind: 'trash', restored: 0, failed: [], manual: [], complete: true }),
    dupesMarkNotDuplicate: async () => ({ actionId: 1, pairs: 1 }),
    dupesActions: async () => [],
    matchRun: async () => ({ rows: [], unmatchedOurs: [], unmatchedTheirs: [], thresholds: { modelId: 'fake', same: 0.99, similar: 0.9, source: 'builtin' }, seconds: 0 }),
    matchSetDecision: async ({ decision }) => ({ decision }),
    matchExportCsv: async () => ({ csv: '\uFEFFours_path\r\n', rows: 0 }),
    searchByText: async () => ({ hits: [1, 2].map((id) => ({ ...item(id), score: 1 })), queryMs: 1 }),
    historyList: async () => ({ entries: [] }),
    historyGet: async ({ id }) => {
      throw new AppError('NOT_FOUND', `No query ${id} in the history.`);
    },
    historyRemove: async () => ({ removed: false }),
    historyClear: async () => ({ removed: 0 }),
    catalogImportCsv: async ({ collection: name }) => ({
      collection: name,
      delimiter: ',',
      headers: ['sku'],
      mapping: { sku: 'sku', title: null, brand: null, category: null, price: null, currency: null, url: null, image: null },
      sample: [],
      summary: null,
    }),
    categoriesSuggest: async () => ({ suggestions: [], uncategorized: 0 }),
    categoriesAccept: async () => ({ accepted: 0 }),
    ocrConfigure: async ({ collection: name, enabled }) => ({ collection: name, enabled }),
    ocrRun: async ({ collection: name }) => ({ collection: name, processed: 0, withText: 0, failed: 0, skipped: 0, seconds: 0 }),
    itemsText: async ({ id }) => {
      requireItem(id);
      return null;
    },
  };
  // Record every call with the input the transport handed over.
  const recorded = Object.fromEntries(
    Object.entries(handlers).map(([fn, h]) => [
      fn,
      (input: unknown) => {
        calls.push({ fn, input });
        return (h as (i: unknown) => Promise<unknown>)(input);
      },
    ]),
  ) as unknown as HandlersByFnName<typeof api>;

  return {
    api: byChannel(api, recorded),
    calls,
    events: {
      on(name, listener) {
        const set = listeners.get(name) ?? new Set();
        set.add(listener as (p: never) => void);
        listeners.set(name, set);
        return () => void set.delete(listener as (p: never) => void);
      },
    },
    emit(name, payload) {
      for (const l of listeners.get(name) ?? []) (l as (p: typeof payload) => void)(payload);
    },
    async thumbnail(id) {
      requireItem(id);
      if (!options.thumbFile) throw new AppError('NOT_FOUND', 'no thumbnail in this fake');
      return { path: options.thumbFile, contentType: 'image/webp' };
    },
    async imagePath(id) {
      requireItem(id);
      return options.imageFile ?? `/photos/item-${id}.jpg`;
    },
  };
}
