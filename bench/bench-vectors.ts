/**
 * Vectors for benchmarks that need more of them than the photo sets hold: real embeddings of a labelled folder made
 * by the real engine (cached), and synthetic vectors shaped like them to reach catalog sizes of 10^5..10^6.
 *
 * Real: the folder is indexed through `createEngine` + `library.addFolder` + `indexer.run`, exactly as the app
 * does, into `<cacheDir>/<modelId>/data`. A later call reuses that folder when its key (the dataset's path, file
 * count and bytes, and the embedder's identity read from the model manifest, so no ONNX session is opened) still
 * matches; otherwise it indexes again into a fresh folder and swaps it in, so concurrent callers never index into
 * the same folder.
 *
 * Synthetic: see synthesizeVectors().
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createEngine, type Engine } from '../src/core/app/engine.js';
import { labelOf } from '../src/cli/run-eval.js';
import { createLogger } from '../src/core/base/logger.js';
import { MANIFEST_FILE, embedderIdentity, readManifest } from '../src/core/models/manifest.js';
import { builtinModelsDir, findPackageRoot } from '../src/core/models/package-root.js';
import { decodeF16 } from '../src/core/base/f16.js';
import { mulberry32 } from '../src/core/base/linalg.js';

export interface RealVectors {
  embedderId: string;
  /** The embedder's output dimension (what the catalog stores). */
  rawDim: number;
  /** The index's dimension: the folder's transform's output (512 after PCA-whitening of ≥1,000 photos). */
  dim: number;
  count: number;
  /** count × rawDim, the catalog's f16 embeddings decoded. */
  raw: Float32Array;
  /** count × dim, unit length: exactly what the usearch index holds. */
  transformed: Float32Array;
  paths: string[];
  /** Each photo's first sub-folder under the dataset. */
  labels: string[];
  /** The cached data folder the vectors were read from (its catalog.sqlite is a real catalog of `count` items). */
  dataDir: string;
}

export interface LoadRealVectorsOptions {
  modelId?: 'accurate' | 'fast';
  /** A labelled folder (default: <repo>/../shared/datasets/clothes-train). */
  dataset?: string;
  /** Default /tmp/lookalike-bench-cache. */
  cacheDir?: string;
  log?: (line: string) => void;
}

export const DEFAULT_BENCH_CACHE = '/tmp/lookalike-bench-cache';
const COLLECTION = 'bench';
const KEY_FILE = 'bench-cache.json';
const IMAGE = /\.(jpe?g|png|webp|gif|tiff?|bmp|avif|heic)$/i;

interface CacheKey {
  format: 1;
  dataset: string;
  files: number;
  bytes: number;
  embedderId: string;
}

/** The default dataset: the shared clothes photos next to the repository. */
export function defaultDataset(): string {
  return resolve(findPackageRoot(), '..', 'shared', 'datasets', 'clothes-train');
}

function datasetStats(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (IMAGE.test(e.name)) {
        files += 1;
        bytes += statSync(p).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

function readKey(dataDir: string): CacheKey | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, KEY_FILE), 'utf8')) as CacheKey;
  } catch {
    return undefined;
  }
}

const sameKey = (a: CacheKey | undefined, b: CacheKey): boolean => a !== undefined && JSON.stringify(a) === JSON.stringify(b);

/**
 * The real embeddings of a labelled folder, raw and as the index holds them (see the module comment on caching).
 * Indexing clothes-train with `accurate` takes ~2 minutes on two cores; a cached call takes about a second.
 * @throws AppError from the engine (MODEL_MISSING when the models are not built, FOLDER_NOT_FOUND ...), Error when
 *   the folder yields fewer than two embedded photos.
 */
export async function loadRealVectors(opts: LoadRealVectorsOptions = {}): Promise<RealVectors> {
  const modelId = opts.modelId ?? 'accurate';
  const dataset = resolve(opts.dataset ?? defaultDataset());
  const log = opts.log ?? (() => {});
  const root = join(resolve(opts.cacheDir ?? DEFAULT_BENCH_CACHE), modelId);
  const dataDir = join(root, 'data');
  const manifest = await readManifest(join(builtinModelsDir(), modelId, MANIFEST_FILE));
  const key: CacheKey = { format: 1, dataset, ...datasetStats(dataset), embedderId: embedderIdentity(manifest) };

  if (!sameKey(readKey(dataDir), key)) {
    const building = join(root, `data.tmp-${process.pid}`);
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { recursive: true });
    log(`bench-vectors: indexing ${key.files} photos of ${dataset} with ${modelId} into ${building} (~2 min for 3k photos)`);
    const started = performance.now();
    const engine = await createEngine({ dataDir: building, modelId, logger: createLogger({ level: 'warn', sink: (l) => log(l) }) });
    try {
      engine.library.addFolder(COLLECTION, dataset);
      let lastLog = 0;
      const [summary] = await engine.indexer.run([COLLECTION], {
        onProgress: (p) => {
          if (performance.now() - lastLog < 10_000) return;
          lastLog = performance.now();
          log(`bench-vectors: ${p.phase} ${p.done}/${p.total}`);
        },
      });
      if (!summary || summary.cancelled) throw new Error('bench-vectors: indexing did not finish');
    } finally {
      await engine.close();
    }
    writeFileSync(join(building, KEY_FILE), JSON.stringify(key));
    // Another process may have published an up-to-date folder meanwhile: then its folder stays and ours goes.
    if (!sameKey(readKey(dataDir), key)) {
      rmSync(dataDir, { recursive: true, force: true });
      try {
        renameSync(building, dataDir);
      } catch (err) {
        if (!sameKey(readKey(dataDir), key)) throw err;
      }
    }
    rmSync(building, { recursive: true, force: true });
    log(`bench-vectors: indexed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  return readVectors(dataDir, dataset, modelId);
}

async function readVectors(dataDir: string, dataset: string, modelId: string): Promise<RealVectors> {
  let engine: Engine | undefined;
  try {
    engine = await createEngine({ dataDir, modelId });
    const { catalog } = engine;
    const embedderId = catalog.meta.get('embedder_id');
    const transform = engine.model.transform();
    if (!embedderId || !transform) throw new Error(`bench-vectors: ${dataDir} records no embedder`);
    const cid = catalog.collections.require(COLLECTION).id;
    const rows = [...catalog.items.vectors(cid, embedderId)];
    if (rows.length < 2) throw new Error(`bench-vectors: ${dataset} gave ${rows.length} embedded photos; at least two are needed`);
    const rawDim = transform.inputDim;
    const dim = transform.outputDim;
    const raw = new Float32Array(rows.length * rawDim);
    const transformed = new Float32Array(rows.length * dim);
    const paths: string[] = [];
    const labels: string[] = [];
    rows.forEach((r, i) => {
      if (r.dim !== rawDim) throw new Error(`bench-vectors: item ${r.id} has ${r.dim} dimensions, expected ${rawDim}`);
      const v = decodeF16(r.vector, raw, i * rawDim).subarray(i * rawDim, (i + 1) * rawDim);
      transformed.set(transform.apply(v), i * dim);
      const path = catalog.items.get(r.id)?.path ?? '';
      paths.push(path);
      labels.push(labelOf(dataset, path) ?? '');
    });
    return { embedderId, rawDim, dim, count: rows.length, raw, transformed, paths, labels, dataDir };
  } finally {
    await engine?.close();
  }
}

export interface SynthesizeOptions {
  /**
   * Standard deviation of the added noise, per dimension, as a multiple of the base vectors' own spread in that
   * dimension (default 0.9: see synthesizeVectors).
   */
  noise?: number;
}

/**
 * `n` unit vectors shaped like the `baseCount` real ones in `base` (row-major, `dim` wide), deterministic by `seed`.
 * Each is normalize(a·x_i + b·x_j + σ·s ⊙ g): x_i a random real vector ("the same product, another photo"), x_j
 * another ("a bit of a related one"), a ~ U(0.6, 1), b ~ U(0, 0.4), s the real vectors' per-dimension standard
 * deviation, g standard Gaussian, σ = `options.noise`. Uniform random vectors would make every neighbour equally far
 * (cosine ≈ 0.15 in 512 dimensions), which misrepresents an HNSW graph's task; these keep the clusters and the spread
 * of the real ones. σ = 0.9 was chosen on accurate's whitened clothes-train vectors: nearest-neighbour cosine within
 * 2,068 synthetic vectors 0.21 / 0.38 / 0.50 (p10 / median / p90) against 0.26 / 0.37 / 0.59 within 2,068 real ones
 * (σ = 0.5 gave a median of 0.64: too clustered, each real vector's variants crowding around it).
 * @throws Error when the sizes do not fit.
 */
export function synthesizeVectors(
  base: Float32Array,
  baseCount: number,
  dim: number,
  n: number,
  seed: number,
  options: SynthesizeOptions = {},
): Float32Array {
  if (baseCount < 2 || base.length < baseCount * dim) throw new Error(`synthesizeVectors: need at least 2 base vectors of ${dim}, got ${base.length} floats for ${baseCount}`);
  const sigma = options.noise ?? 0.9;
  const spread = columnStd(base, baseCount, dim);
  const rand = mulberry32(seed);
  const gauss = gaussian(rand);
  const out = new Float32Array(n * dim);
  const v = new Float64Array(dim);
  for (let s = 0; s < n; s++) {
    const i = Math.floor(rand() * baseCount);
    let j = Math.floor(rand() * (baseCount - 1));
    if (j >= i) j += 1;
    const a = 0.6 + 0.4 * rand();
    const b = 0.4 * rand();
    const xi = i * dim;
    const xj = j * dim;
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const x = a * base[xi + d]! + b * base[xj + d]! + sigma * spread[d]! * gauss();
      v[d] = x;
      norm += x * x;
    }
    const inv = 1 / Math.sqrt(norm);
    const o = s * dim;
    for (let d = 0; d < dim; d++) out[o + d] = v[d]! * inv;
  }
  return out;
}

/**
 * A generator of synthetic vectors that stay on the real vectors' manifold: each is
 * normalize(x_i + t·(x_j − x_i) + σ·s ⊙ g), x_i a random real vector, x_j one of its `neighbours` nearest real
 * vectors, t ~ U(0, 1), s the real per-dimension spread, g standard Gaussian, σ = `noise` (default 0.3). New items
 * fall between real neighbours (another photo of a similar product) instead of scattering in every direction.
 *
 * Why a second generator: synthesizeVectors' full-rank Gaussian noise makes a set much harder for a graph index than
 * real photos are. Measured on accurate's whitened clothes-train vectors, with 300 held-out real photos as queries
 * against 2,768 vectors (localIntrinsicDimension, k = 20; median nearest / 10th-nearest cosine): real 27.6 (0.401 /
 * 0.243); this generator 28.8 (0.379 / 0.249); synthesizeVectors 49.6 (0.281 / 0.189). The search bench prints the
 * same check for the vectors it uses.
 * Precomputes every real vector's neighbours once (count² dot products); the returned function is deterministic by
 * its seed.
 * @throws Error when the sizes do not fit.
 */
export function manifoldSynthesizer(
  base: Float32Array,
  baseCount: number,
  dim: number,
  options: { neighbours?: number; noise?: number } = {},
): (n: number, seed: number) => Float32Array {
  const k = Math.min(options.neighbours ?? 10, baseCount - 1);
  if (baseCount < 2 || base.length < baseCount * dim) throw new Error(`manifoldSynthesizer: need at least 2 base vectors of ${dim}, got ${base.length} floats for ${baseCount}`);
  const sigma = options.noise ?? 0.3;
  const spread = columnStd(base, baseCount, dim);
  const near = topDots(base, baseCount, base, baseCount, dim, k, true).ids;
  return (n, seed) => {
    const rand = mulberry32(seed);
    const gauss = gaussian(rand);
    const out = new Float32Array(n * dim);
    const v = new Float64Array(dim);
    for (let s = 0; s < n; s++) {
      const i = Math.floor(rand() * baseCount);
      const j = near[i * k + Math.floor(rand() * k)]!;
      const t = rand();
      let norm = 0;
      for (let d = 0; d < dim; d++) {
        const xi = base[i * dim + d]!;
        const x = xi + t * (base[j * dim + d]! - xi) + sigma * spread[d]! * gauss();
        v[d] = x;
        norm += x * x;
      }
      const inv = 1 / Math.sqrt(norm);
      for (let d = 0; d < dim; d++) out[s * dim + d] = v[d]! * inv;
    }
    return out;
  };
}

/**
 * Each query's `k` largest dot products with the rows of `set`, best first (row ids and values, queryCount × k), by
 * brute force. `skipSelf`: the queries are the set's own first rows, and none is its own neighbour.
 */
function topDots(queries: Float32Array, queryCount: number, set: Float32Array, count: number, dim: number, k: number, skipSelf = false): { ids: Int32Array; dots: Float64Array } {
  const ids = new Int32Array(queryCount * k);
  const top = new Float64Array(queryCount * k);
  const dots = new Float64Array(count);
  const order = new Int32Array(count);
  for (let q = 0; q < queryCount; q++) {
    for (let b = 0; b < count; b++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += queries[q * dim + d]! * set[b * dim + d]!;
      dots[b] = skipSelf && b === q ? -Infinity : dot;
      order[b] = b;
    }
    order.sort((x, y) => dots[y]! - dots[x]!);
    for (let r = 0; r < k; r++) {
      ids[q * k + r] = order[r]!;
      top[q * k + r] = dots[order[r]!]!;
    }
  }
  return { ids, dots: top };
}

/**
 * Median local intrinsic dimensionality of a set as seen from `queries` (maximum-likelihood estimate of Levina and
 * Bickel over each query's `k` nearest chord distances): how many directions a neighbourhood spreads in. A graph
 * index's work grows steeply with it, so synthetic vectors should show about what real ones show.
 */
export function localIntrinsicDimension(queries: Float32Array, queryCount: number, set: Float32Array, count: number, dim: number, k = 20): number {
  const lids = new Float64Array(queryCount);
  const { dots } = topDots(queries, queryCount, set, count, dim, k);
  for (let q = 0; q < queryCount; q++) {
    const dist = Array.from(dots.subarray(q * k, (q + 1) * k), (c) => Math.sqrt(Math.max(2 - 2 * c, 1e-12)));
    const far = dist[k - 1]!;
    let sum = 0;
    for (let i = 0; i < k - 1; i++) sum += Math.log(dist[i]! / far);
    lids[q] = sum < 0 ? -(k - 1) / sum : Infinity;
  }
  const sorted = Array.from(lids).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Each column's standard deviation of a count × dim matrix. */
function columnStd(m: Float32Array, count: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    for (let d = 0; d < dim; d++) {
      const x = m[r * dim + d]!;
      mean[d] = mean[d]! + x;
      sq[d] = sq[d]! + x * x;
    }
  }
  const std = new Float64Array(dim);
  for (let d = 0; d < dim; d++) {
    const mu = mean[d]! / count;
    std[d] = Math.sqrt(Math.max(0, sq[d]! / count - mu * mu));
  }
  return std;
}

/** Standard normal draws (Box–Muller, both values used). */
function gaussian(rand: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - rand(); // (0, 1]: log(u) is finite
    const r = Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * rand();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
}

/** `n` uniform random unit vectors (isotropic Gaussian, normalised): the baseline synthetic vectors must beat. */
export function uniformUnitVectors(n: number, dim: number, seed: number): Float32Array {
  const gauss = gaussian(mulberry32(seed));
  const out = new Float32Array(n * dim);
  for (let s = 0; s < n; s++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const x = gauss();
      out[s * dim + d] = x;
      norm += x * x;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let d = 0; d < dim; d++) out[s * dim + d] = out[s * dim + d]! * inv;
  }
  return out;
}

/**
 * Each of the first `queries` vectors' (all by default) cosine to its nearest other vector of the same set, by brute
 * force: the statistic that tells whether synthetic vectors are as clustered as real ones.
 */
export function nearestNeighbourCosines(set: Float32Array, count: number, dim: number, queries: number = count): Float64Array {
  const q = Math.min(queries, count);
  const out = new Float64Array(q);
  for (let a = 0; a < q; a++) {
    const ao = a * dim;
    let best = -Infinity;
    for (let b = 0; b < count; b++) {
      if (b === a) continue;
      const bo = b * dim;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += set[ao + d]! * set[bo + d]!;
      if (dot > best) best = dot;
    }
    out[a] = best;
  }
  return out;
}

