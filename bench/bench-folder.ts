/**
 * Large data folders for the cold-start and UI-latency benchmarks: N catalogued photos with embeddings, built
 * without running the model N times, yet exactly what the app makes, so the real engine opens them without
 * rebuilding anything:
 * - the catalog through the catalog's own repositories (one collection, one root, items with real file facts and
 *   f16 raw embeddings of the model's raw dimension, in large transactions);
 * - the folder's whitening, the one the engine learned on the real photos (bench-vectors.ts), stored by the
 *   whitening store;
 * - the collection's index through the VectorStore (same stamp, same trailer), fed in batches transformed by one
 *   matrix product each (the per-vector transform would take ~20 minutes at 10⁶).
 * Raw embeddings are synthetic, shaped like the real ones (synthesizeVectors). Every item's path is a real file: a
 * hard link to one of a few hundred real photos copied into the folder, so thumbnails render real JPEGs.
 *
 * Cached under `<cacheDir>/cold-<n>/` (key file `bench-folder.json`); built in a temp folder and renamed into
 * place. 10⁶ items take ~7 GB (5.6 GB of raw embeddings in SQLite, 1.2 GB of index) and tens of minutes.
 */
import { copyFileSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { openCatalog } from '../src/core/catalog/catalog.js';
import { nullLogger } from '../src/core/base/logger.js';
import { CATALOG_FILE } from '../src/core/base/paths.js';
import { decodeF16, encodeF16 } from '../src/core/base/f16.js';
import { VectorStore } from '../src/core/vectors/vector-store.js';
import { readWhitening, writeWhitening } from '../src/core/vectors/whitening-store.js';
import { whiteningTransform, type Whitening } from '../src/core/vectors/whitening.js';
import { DEFAULT_BENCH_CACHE, loadRealVectors, synthesizeVectors } from './bench-vectors.js';

export interface BenchFolder {
  /** The cache entry: `data/` (the data folder), `photos/` (the collection's root), `sources/`. */
  root: string;
  dataDir: string;
  photosDir: string;
  collection: string;
  items: number;
  embedderId: string;
  /** The registry id of the model the vectors stand for. */
  modelId: 'accurate';
  /** The real photos the items link to (for a query image that is not in the catalog). */
  sources: string[];
}

export interface BenchFolderOptions {
  items: number;
  cacheDir?: string;
  /** Distinct real photos the items' files link to (default 300). */
  photos?: number;
  log?: (line: string) => void;
}

interface Key {
  format: 2;
  items: number;
  photos: number;
  embedderId: string;
  transformId: string;
  stamp: string;
}

const KEY_FILE = 'bench-folder.json';
const COLLECTION = 'catalog';
const BATCH = 8192;
const IMAGE = /\.jpe?g$/i;

/** The cached folder of `items` items, built first when missing or made for another model or transform. */
export async function benchFolder(options: BenchFolderOptions): Promise<BenchFolder> {
  const log = options.log ?? (() => {});
  const photos = options.photos ?? 300;
  const real = await loadRealVectors({ ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}), log });
  const whitening = readWhitening(real.dataDir, real.embedderId, real.rawDim, nullLogger);
  if (!whitening || whitening.kind !== 'pca') throw new Error(`bench-folder: ${real.dataDir} has learned no PCA-whitening`);
  const transform = whiteningTransform(whitening);
  const stamp = new VectorStore({ dir: '/nonexistent', embedderId: real.embedderId, transform, source: noSource, logger: nullLogger }).stamp;
  const key: Key = { format: 2, items: options.items, photos, embedderId: real.embedderId, transformId: transform.id, stamp };
  const root = join(resolve(options.cacheDir ?? DEFAULT_BENCH_CACHE), `cold-${options.items}`);
  const folder = (dir: string): BenchFolder => ({
    root: dir,
    dataDir: join(dir, 'data'),
    photosDir: join(dir, 'photos'),
    collection: COLLECTION,
    items: options.items,
    embedderId: real.embedderId,
    modelId: 'accurate',
    sources: readdirSync(join(dir, 'sources'))
      .sort()
      .map((f) => join(dir, 'sources', f)),
  });
  if (JSON.stringify(readKey(root)) === JSON.stringify(key)) return folder(root);

  const building = `${root}.tmp-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const needBytes = options.items * 7_400;
  const fs = statfsSync(resolve(options.cacheDir ?? DEFAULT_BENCH_CACHE));
  if (fs.bavail * fs.bsize < needBytes * 1.1) {
    throw new Error(`bench-folder: ${options.items} items need ~${(needBytes / 1e9).toFixed(1)} GB; only ${((fs.bavail * fs.bsize) / 1e9).toFixed(1)} GB are free`);
  }
  log(`bench-folder: building ${options.items} items into ${building}`);
  const started = performance.now();
  try {
    await build(building, root, options.items, photos, real, whitening, log);
    writeFileSync(join(building, KEY_FILE), JSON.stringify(key));
    rmSync(root, { recursive: true, force: true });
    renameSync(building, root);
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    throw err;
  }
  log(`bench-folder: built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return folder(root);
}

const noSource = { ids: () => [], vectors: () => [] };

function readKey(root: string): Key | undefined {
  try {
    return JSON.parse(readFileSync(join(root, KEY_FILE), 'utf8')) as Key;
  } catch {
    return undefined;
  }
}

interface Photo {
  path: string;
  size: number;
  mtimeMs: number;
  width: number;
  height: number;
  format: string;
}

/** Builds into `dir`, to be renamed to `finalDir`: the catalog's paths already name the final place. */
async function build(
  dir: string,
  finalDir: string,
  items: number,
  photos: number,
  real: Awaited<ReturnType<typeof loadRealVectors>>,
  whitening: Whitening,
  log: (line: string) => void,
): Promise<void> {
  const dataDir = join(dir, 'data');
  const photosDir = join(dir, 'photos');
  const finalPhotosDir = join(finalDir, 'photos');
  const sourcesDir = join(dir, 'sources');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(sourcesDir, { recursive: true });

  // A few hundred real photos, evenly over the dataset's (sorted) files, copied so the links stay on one disk.
  const all = real.paths.filter((p) => IMAGE.test(p)).sort();
  const sources: Photo[] = [];
  for (let i = 0; i < Math.min(photos, all.length); i++) {
    const from = all[Math.floor((i * all.length) / Math.min(photos, all.length))]!;
    const to = join(sourcesDir, `src-${String(i).padStart(4, '0')}.jpg`);
    copyFileSync(from, to);
    const meta = await sharp(to).metadata();
    const st = statSync(to);
    sources.push({ path: to, size: st.size, mtimeMs: st.mtimeMs, width: meta.width ?? 0, height: meta.height ?? 0, format: meta.format ?? 'jpeg' });
  }

  const catalog = openCatalog(join(dataDir, CATALOG_FILE), nullLogger);
  const transform = whiteningTransform(whitening);
  const store = new VectorStore({ dir: dataDir, embedderId: real.embedderId, transform, source: noSource, logger: nullLogger });
  try {
    const rawDim = real.rawDim;
    catalog.transaction(() => {
      catalog.meta.set('model_id', 'accurate');
      catalog.meta.set('embedder_id', real.embedderId);
      catalog.meta.set('dimensions', String(rawDim));
    });
    const cid = catalog.collections.ensure(COLLECTION).id;
    catalog.collections.addRoot(cid, finalPhotosDir, false);
    writeWhitening(dataDir, real.embedderId, whitening);
    store.open(cid);

    let lastLog = performance.now();
    // Seconds spent per phase, for the progress lines (the index's insertions dominate at 10⁶).
    const spent = { synthesize: 0, catalog: 0, transform: 0, index: 0 };
    let mark = performance.now();
    const lap = (phase: keyof typeof spent) => {
      const now = performance.now();
      spent[phase] += (now - mark) / 1000;
      mark = now;
    };
    for (let start = 0; start < items; start += BATCH) {
      const n = Math.min(BATCH, items - start);
      mark = performance.now();
      const raw = synthesizeVectors(real.raw, real.count, rawDim, n, 1_000 + start / BATCH);
      lap('synthesize');
      const stored = new Float32Array(n * rawDim);
      const ids: number[] = [];
      catalog.transaction(() => {
        for (let r = 0; r < n; r++) {
          const i = start + r;
          const vector = encodeF16(raw.subarray(r * rawDim, (r + 1) * rawDim));
          // The index gets the stored (f16-rounded) vector, as the index job and a rebuild do.
          decodeF16(vector, stored, r * rawDim);
          const photo = sources[i % sources.length]!;
          const name = join(`d${String(Math.floor(i / 1000)).padStart(4, '0')}`, `p${String(i).padStart(7, '0')}.jpg`);
          if (i % 1000 === 0) mkdirSync(join(photosDir, name, '..'), { recursive: true });
          linkSync(photo.path, join(photosDir, name));
          const path = join(finalPhotosDir, name);
          ids.push(
            catalog.items.insertIndexed({
              collectionId: cid,
              path,
              size: photo.size,
              mtimeMs: photo.mtimeMs,
              // Distinct per item, as distinct photos' content hashes are (no embedding is shared by hash).
              hash: createHash('sha256').update(`bench-item-${i}`).digest(),
              width: photo.width,
              height: photo.height,
              format: photo.format,
              modelId: real.embedderId,
              dim: rawDim,
              vector,
            }),
          );
        }
      });
      lap('catalog');
      // The engine's own bulk transform (one matrix product per batch), as its index rebuilds use it.
      const y = await store.prepareMany(stored, n);
      lap('transform');
      store.addPrepared(cid, ids, y);
      lap('index');
      if (performance.now() - lastLog > 15_000) {
        lastLog = performance.now();
        log(`bench-folder: ${start + n}/${items} (s: ${Object.entries(spent).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')})`);
      }
    }
    store.close();
  } finally {
    catalog.close();
  }
}

