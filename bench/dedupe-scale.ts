/**
 * Dedupe at scale (performance issue #6, section 5): every near-duplicate group of a 10k, 30k and 100k-item
 * collection, timed per stage as the app computes them (the `dupes:list` operation behind `lookalike dupes` and the
 * Duplicates screen), with the precision and recall of the groups at each size against known families of copies.
 *
 *   npm run build:core && npm run bench -- dedupe-scale [--sizes 10000,30000,100000] [--runs 3] [--json]
 *     [--cache /tmp/lookalike-bench-cache] [--dataset DIR]
 *
 * Baseline: the smallest size, measured in the same run; sizes are timed in turn within each run, so a busy
 * machine slows all of them alike. Reported: median and p99 of the wall time of one `list` plus the contract's
 * output parse (what `dispatch` adds), each stage's median, time per item and growth over the smallest size
 * against the growth in items, and the same for the process's CPU time (all threads), which a machine shared with
 * other jobs inflates far less than wall time. Each run opens the engine afresh, as the CLI does; opening the
 * vector index is part of the candidates stage.
 *
 * The data folders (cached in `<cache>/dedupe-<n>/`, nested: the 10k items are the first 10k of the 30k ones)
 * are written through the catalog's repositories, the SignatureStore and the VectorStore, as the index job
 * leaves a folder; nothing is decoded or embedded when dupes runs. Indexing 100k generated image files would take
 * hours on two cores, so the items are built from the 3,068 clothes-train photos:
 * - Families. Every 32nd family is a real photo with one real altered copy (two for every fifth), the alteration
 *   kinds of src/core/eval/alterations.ts in turn; the copies are real files, embedded and signed by the real
 *   engine (an index run over them, cached in `<cache>/dedupe-copies/`). Every other family is a distinct
 *   "variant" picture (below); 1.65% of those get one or two copies made by the same alteration code from the
 *   variant. Every eighth family with copies also holds a byte-identical file (same content hash). About 10% of
 *   the items are in a family of two or more.
 * - Signatures: always the real signature code on real decoded pixels (signatureFromRaw / computeSignature). A
 *   variant is a photo decoded as for its signature, then cut to one of six regions (whole, left half, top half,
 *   bottom half, top-left or bottom-left quadrant), as it is or with its halves swapped (shifted by half its width
 *   or height: the matcher undoes quarter turns since issue 16, so these replace them) and shown plain or as a negative: 36
 *   pictures per photo. These are no copies of each other for the matcher (which undoes mirroring, quarter turns,
 *   crops down to about two thirds and recolouring, not negatives, half shifts or half-size cuts); mirrored halves
 *   and centre cuts were left out because symmetric garments made them mirror copies of another variant,
 *   and a photo's region is skipped where it still verifies against the whole photo (product in a corner of white).
 * - Embeddings: real accurate-model embeddings (bench-vectors.ts) for the real photos and their copies. Variants
 *   get synthetic raw embeddings shaped like the real ones (synthesizeVectors); a variant's copy gets the variant's
 *   vector moved by the real displacement (copy − original) of a real photo's copy of the same kind.
 * Since issue 16 finds a part of a photo as its duplicate (a tight crop, a photo inside a page), a plain cut of a
 * variant (the top half of the whole photo, say) is one: such pairs are reported apart (variantContains), with a
 * second precision that counts them as duplicates; the first still counts them false, as the bench was designed.
 * Limits: a variant's embedding is not tied to its picture, so its embedding neighbours are not lookalikes of it
 * (the layout index still proposes same-layout pictures for every item); variants' copies are made from the
 * ≤256 px decode, not a full-size file; shifted and negative pictures are rarer in a real catalog. The
 * clothes-train photos that are already duplicates of each other (SOURCE_DUPLICATES) count as one family.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { constants as perfConstants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { api } from '../src/shared/api.js';
import { asCollectionId } from '../src/shared/types.js';
import { openCatalog } from '../src/core/catalog/catalog.js';
import { SignatureStore } from '../src/core/dedupe/signature-store.js';
import type { DupesResult } from '../src/core/dedupe/dedupe.service.js';
import { createEngine } from '../src/core/app/engine.js';
import { ALTERATION_KINDS, alterImage, sampleDeterministic, seededRandom, type AlterationKind } from '../src/core/eval/alterations.js';
import { computeSignature, decodeForSignature, matchPictures, prepareSignature, signatureFromRaw, type ImageSignature, type RawImage } from '../src/core/images/phash.js';
import { createLogger, nullLogger } from '../src/core/base/logger.js';
import { CATALOG_FILE } from '../src/core/base/paths.js';
import { decodeF16, encodeF16 } from '../src/core/base/f16.js';
import { VectorStore } from '../src/core/vectors/vector-store.js';
import { readWhitening, writeWhitening } from '../src/core/vectors/whitening-store.js';
import { whiteningTransform, type Whitening } from '../src/core/vectors/whitening.js';
import { DEFAULT_BENCH_CACHE, loadRealVectors, synthesizeVectors, type RealVectors } from './bench-vectors.js';
import { peakRssBytes } from './peak-rss.js';
import { summarize, type Summary } from './stats.js';
import { rawDatabase } from '../src/core/catalog/raw-database.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,30000,100000' },
    runs: { type: 'string', default: '3' },
    cache: { type: 'string', default: DEFAULT_BENCH_CACHE },
    dataset: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const log = (line: string) => process.stderr.write(`${line}\n`);
const cacheRoot = resolve(args.cache!);
const COLLECTION = 'catalog';
/** Every REAL_EVERY-th family is a real photo with real copies. */
const REAL_EVERY = 32;
/** Share of variant families that get copies (so that about 10% of all items are in a family). */
const VARIANT_COPY_SHARE = 0.0165;
/** Every EXACT_EVERY-th family with copies also holds a byte-identical file. */
const EXACT_EVERY = 8;
/** Synthetic vectors are drawn in blocks of this many, each with its own seed (so sizes nest). */
const VECTOR_BLOCK = 4096;
/** A variant whose region verifies against the whole photo at this agreement or more is left out (threshold 0.5). */
const VARIANT_COLLISION = 0.4;
const REGIONS = 6;
/** Shifts per region and polarity: none, half the width, half the height (see variantOf). */
const SHIFTS = 3;
const VARIANTS = REGIONS * SHIFTS * 2;
/** 2: shifted variants instead of quarter-turned ones (dupes undoes quarter turns since issue 16). */
const PLAN_VERSION = 2;

/**
 * Photos of clothes-train that are duplicates of each other: the two SOURCE_DUPLICATES of dedupe-match.ts, and a
 * skirt shot twice the same way that this bench found (checked by eye).
 */
const SOURCE_DUPLICATES: readonly (readonly [string, string])[] = [
  ['shorts/6075b4a5-5b1a-4ce0-aea0-9dbfbca7c35c.jpg', 'skirt/637a56e4-7fa6-4f75-8859-0f8902461554.jpg'],
  ['dress/e6a8b33f-279c-4072-8dba-229d94205e55.jpg', 'dress/b59e4d4a-a283-4868-8a81-2f24d8b9c8d8.jpg'],
  ['skirt/78b7da73-ca6c-4e99-b88d-a9f358e7f0f2.jpg', 'skirt/02341619-2fa3-42d4-bb5e-689518228e67.jpg'],
];

// ---------------------------------------------------------------------------------------------------------------
// Variant pictures

/**
 * The six regions of a photo a variant is cut to, in 0..1 units (x, y, w, h): whole, left half, top half, bottom
 * half, top-left quadrant, bottom-left quadrant. A half is w >> 1 (or h >> 1) pixels, at the start or the end.
 */
const REGION_BOXES: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 1, 1],
  [0, 0, 0.5, 1],
  [0, 0, 1, 0.5],
  [0, 0.5, 1, 0.5],
  [0, 0, 0.5, 0.5],
  [0, 0.5, 0.5, 0.5],
];

/** Region r of an image (REGION_BOXES). */
function region(img: RawImage, r: number): RawImage {
  if (r === 0) return img;
  const { width: w, height: h, channels: c } = img;
  const [bx, by, bw, bh] = REGION_BOXES[r]!;
  const cw = bw === 1 ? w : w >> 1;
  const ch = bh === 1 ? h : h >> 1;
  const x0 = bx === 0 ? 0 : w - cw;
  const y0 = by === 0 ? 0 : h - ch;
  const data = new Uint8Array(cw * ch * c);
  for (let y = 0; y < ch; y++) data.set(img.data.subarray(((y0 + y) * w + x0) * c, ((y0 + y) * w + x0 + cw) * c), y * cw * c);
  return { data, width: cw, height: ch, channels: c };
}

/**
 * The picture shifted cyclically by half its width (`axis` 0) or half its height (1): its halves swapped. Each half
 * is then a half-size piece of the original, below the two thirds a crop is matched down to, so the shifted picture
 * is no copy of it. (Quarter turns served here before issue 16; dupes undoes them now, which made every variant a
 * copy of its turned siblings.)
 */
function shiftHalf(img: RawImage, axis: 0 | 1): RawImage {
  const { width: w, height: h, channels: c } = img;
  const data = new Uint8Array(w * h * c);
  const dx = axis === 0 ? w >> 1 : 0;
  const dy = axis === 1 ? h >> 1 : 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const to = (((y + dy) % h) * w + ((x + dx) % w)) * c;
      const from = (y * w + x) * c;
      for (let k = 0; k < c; k++) data[to + k] = img.data[from + k]!;
    }
  }
  return { data, width: w, height: h, channels: c };
}

/** Variant v (0 = the photo itself) of a decoded photo: region, then negative, then a half shift. */
function variantOf(img: RawImage, v: number): RawImage {
  let out = region(img, Math.floor(v / (SHIFTS * 2)));
  if (v % 2 === 1) out = { ...out, data: out.data.map((x) => 255 - x) };
  const shift = Math.floor(v / 2) % SHIFTS;
  return shift === 0 ? out : shiftHalf(out, shift === 1 ? 0 : 1);
}

const regionOf = (v: number) => Math.floor(v / (SHIFTS * 2));

/**
 * For each photo, the regions (bit r) left out because they still verify against the whole photo or another
 * region of it. Cached in `<cache>/dedupe-variants.json`.
 */
async function collidingRegions(real: RealVectors): Promise<number[]> {
  const file = join(cacheRoot, 'dedupe-variants.json');
  const key = JSON.stringify({ format: 1, paths: createHash('sha256').update(real.paths.join('\n')).digest('hex'), collision: VARIANT_COLLISION });
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { key: string; masks: number[] };
    if (cached.key === key && cached.masks.length === real.count) return cached.masks;
  } catch {
    // Not cached yet.
  }
  log(`dedupe-scale: checking the ${REGIONS} regions of ${real.count} photos against each other`);
  const masks: number[] = [];
  for (const path of real.paths) {
    const img = await decodeForSignature(path);
    const sigs = Array.from({ length: REGIONS }, (_, r) => prepareSignature(signatureFromRaw(region(img, r))));
    let mask = 0;
    for (let a = 0; a < REGIONS; a++) {
      for (let b = a + 1; b < REGIONS; b++) {
        if ((mask >> b) & 1) continue;
        if (matchPictures(sigs[a]!, sigs[b]!, { accept: VARIANT_COLLISION, search: true }).agreement >= VARIANT_COLLISION) mask |= 1 << b;
      }
    }
    masks.push(mask);
  }
  mkdirSync(cacheRoot, { recursive: true });
  writeFileSync(file, JSON.stringify({ key, masks }));
  return masks;
}

// ---------------------------------------------------------------------------------------------------------------
// Real copies of the real photos

interface RealCopy {
  raw: Float32Array;
  signature: ImageSignature;
  size: number;
  width: number;
  height: number;
  format: string;
}

/** Kinds of the real copies of the j-th real family. */
const realCopyKinds = (j: number): AlterationKind[] => [ALTERATION_KINDS[j % 10]!, ...(j % 5 === 0 ? [ALTERATION_KINDS[(j + 3) % 10]!] : [])];

/**
 * One or two altered copies of every photo (in the real families' order), written as files and indexed by the real
 * engine, so their embeddings and signatures are the app's own. Cached in `<cache>/dedupe-copies/`.
 * @returns the copies by `<photo>:<kind>`.
 */
async function realCopies(real: RealVectors, realOrder: readonly number[]): Promise<Map<string, RealCopy>> {
  const root = join(cacheRoot, 'dedupe-copies');
  const filesDir = join(root, 'files');
  const dataDir = join(root, 'data');
  const planned = realOrder.flatMap((photo, j) => realCopyKinds(j).map((kind) => ({ photo, kind })));
  const key = JSON.stringify({ format: 1, embedderId: real.embedderId, copies: planned.map((p) => `${p.photo}:${p.kind}`).join(',') });
  const keyFile = join(root, 'key.json');
  const nameOf = (p: { photo: number; kind: AlterationKind }) => `p${String(p.photo).padStart(4, '0')}-${p.kind}`;
  if (!existsSync(keyFile) || readFileSync(keyFile, 'utf8') !== key) {
    log(`dedupe-scale: making ${planned.length} altered copies of the photos and indexing them (a few minutes)`);
    for (const p of planned) {
      const dir = join(filesDir, p.kind);
      const stem = join(dir, nameOf(p));
      if (['jpg', 'webp', 'png'].some((e) => existsSync(`${stem}.${e}`))) continue;
      const altered = await alterImage(real.paths[p.photo]!, p.kind);
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${stem}.${altered.ext}`, altered.data);
    }
    rmSync(dataDir, { recursive: true, force: true });
    const engine = await createEngine({ dataDir, modelId: 'accurate', logger: createLogger({ level: 'warn', sink: log }) });
    try {
      engine.library.addFolder('copies', filesDir);
      let last = performance.now();
      const [summary] = await engine.indexer.run(['copies'], {
        onProgress: (p) => {
          if (performance.now() - last < 15_000) return;
          last = performance.now();
          log(`dedupe-scale: copies ${p.phase} ${p.done}/${p.total}`);
        },
      });
      if (!summary || summary.cancelled || summary.failed > 0) throw new Error(`dedupe-scale: indexing the copies failed (${JSON.stringify(summary)})`);
      const embedderId = engine.catalog.meta.get('embedder_id');
      if (embedderId !== real.embedderId) throw new Error(`dedupe-scale: copies embedded by ${embedderId}, photos by ${real.embedderId}`);
    } finally {
      await engine.close();
    }
    writeFileSync(keyFile, key);
  }
  const catalog = openCatalog(join(dataDir, CATALOG_FILE), nullLogger);
  try {
    const signatures = new SignatureStore(catalog.signatures, nullLogger);
    const rows = rawDatabase(catalog)
      .prepare('SELECT i.path, i.size, i.width, i.height, i.format, i.hash, e.vector FROM items i JOIN embeddings e ON e.item_id = i.id')
      .all() as { path: string; size: number; width: number; height: number; format: string; hash: Buffer; vector: Buffer }[];
    const sigs = signatures.load(rows.map((r) => r.hash));
    const out = new Map<string, RealCopy>();
    for (const r of rows) {
      const m = /^p(\d+)-([a-z]+)\.[a-z]+$/.exec(basename(r.path));
      const signature = sigs.get(r.hash.toString('hex'));
      if (!m || !signature) throw new Error(`dedupe-scale: ${r.path} has no signature or an unexpected name`);
      out.set(`${Number(m[1])}:${m[2]}`, { raw: decodeF16(r.vector), signature, size: r.size, width: r.width, height: r.height, format: r.format });
    }
    for (const p of planned) if (!out.has(`${p.photo}:${p.kind}`)) throw new Error(`dedupe-scale: the copy ${nameOf(p)} was not indexed`);
    return out;
  } finally {
    catalog.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The plan: families in a fixed order, so every size is a prefix of the larger ones

interface Family {
  n: number;
  photo: number;
  /** 0: the real photo; else a variant picture. */
  variant: number;
  /** Position among the variant families (picks its synthetic vector), -1 for a real family. */
  variantSeq: number;
  copies: AlterationKind[];
  exact: boolean;
}

type Role = 'base' | 'copy' | 'same';

interface Member {
  family: Family;
  role: Role;
  kind?: AlterationKind;
}

function planItems(size: number, real: RealVectors, realOrder: readonly number[], masks: readonly number[]): Member[] {
  const pool: [number, number][] = [];
  for (let photo = 0; photo < real.count; photo++) {
    for (let v = 1; v < VARIANTS; v++) if (!((masks[photo]! >> regionOf(v)) & 1)) pool.push([photo, v]);
  }
  const order = sampleDeterministic(pool, pool.length, 2024);
  const members: Member[] = [];
  let reals = 0;
  let variants = 0;
  let withCopies = 0;
  for (let n = 0; members.length < size; n++) {
    let family: Family;
    if (n % REAL_EVERY === 0 && reals < realOrder.length) {
      family = { n, photo: realOrder[reals]!, variant: 0, variantSeq: -1, copies: realCopyKinds(reals), exact: false };
      reals++;
    } else {
      if (variants >= order.length) throw new Error(`dedupe-scale: the variant pool holds ${order.length} pictures; ${size} items need more`);
      const [photo, variant] = order[variants]!;
      const copies = seededRandom(n * 7_919 + 13)() < VARIANT_COPY_SHARE;
      family = { n, photo, variant, variantSeq: variants, copies: [], exact: false };
      if (copies) family.copies = [ALTERATION_KINDS[withCopies % 10]!, ...(withCopies % 5 === 0 ? [ALTERATION_KINDS[(withCopies + 3) % 10]!] : [])];
      variants++;
    }
    if (family.copies.length > 0) family.exact = withCopies++ % EXACT_EVERY === EXACT_EVERY - 1;
    members.push({ family, role: 'base' });
    for (const kind of family.copies) members.push({ family, role: 'copy', kind });
    if (family.exact) members.push({ family, role: 'same' });
  }
  return members.slice(0, size);
}

const familyDir = (f: Family) => `f${String(f.n).padStart(6, '0')}-p${String(f.photo).padStart(4, '0')}-v${String(f.variant).padStart(2, '0')}`;
const memberName = (m: Member) => (m.role === 'copy' ? `copy-${m.kind}` : m.role);
const memberHash = (m: Member): Buffer =>
  createHash('sha256')
    .update(`dedupe-scale:${m.family.n}:${m.role === 'same' ? 'base' : memberName(m)}`)
    .digest();

// ---------------------------------------------------------------------------------------------------------------
// Data folders

interface Folder {
  size: number;
  dataDir: string;
  photosDir: string;
  members: Member[];
}

const noSource = { ids: () => [], vectors: () => [] };

async function dedupeFolder(size: number, real: RealVectors, realOrder: readonly number[], masks: readonly number[], copies: Map<string, RealCopy>): Promise<Folder> {
  const whitening = readWhitening(real.dataDir, real.embedderId, real.rawDim, nullLogger);
  if (!whitening || whitening.kind !== 'pca') throw new Error(`dedupe-scale: ${real.dataDir} has learned no PCA-whitening`);
  const transform = whiteningTransform(whitening);
  const members = planItems(size, real, realOrder, masks);
  const root = join(cacheRoot, `dedupe-${size}`);
  const key = JSON.stringify({
    format: PLAN_VERSION,
    size,
    embedderId: real.embedderId,
    transformId: transform.id,
    // The vector index's own stamp (its graph parameters among them): a change of them rebuilds the folder here,
    // not inside the first timed run.
    indexStamp: new VectorStore({ dir: root, embedderId: real.embedderId, transform, source: noSource, logger: nullLogger }).stamp,
    plan: createHash('sha256')
      .update(members.map((m) => `${familyDir(m.family)}/${memberName(m)}`).join('\n'))
      .digest('hex'),
  });
  const folder = (dir: string): Folder => ({ size, dataDir: join(dir, 'data'), photosDir: join(dir, 'photos'), members });
  const keyFile = join(root, 'key.json');
  if (existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) return folder(root);

  const building = `${root}.tmp-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  log(`dedupe-scale: building the ${size}-item folder in ${building}`);
  const started = performance.now();
  try {
    // Rows name the files where the folder will lie (no file is read: signatures and embeddings are stored).
    await build({ ...folder(building), photosDir: join(root, 'photos') }, real, whitening, copies);
    writeFileSync(join(building, 'key.json'), key);
    rmSync(root, { recursive: true, force: true });
    renameSync(building, root);
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    throw err;
  }
  log(`dedupe-scale: built ${size} items in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return folder(root);
}

/** What a file of a member would be on disk: the facts the catalog keeps. */
interface FileFacts {
  size: number;
  width: number;
  height: number;
  format: string;
}

async function build(folder: Folder, real: RealVectors, whitening: Whitening, copies: Map<string, RealCopy>): Promise<void> {
  const { dataDir, photosDir, members } = folder;
  mkdirSync(dataDir, { recursive: true });
  const catalog = openCatalog(join(dataDir, CATALOG_FILE), nullLogger);
  const signatures = new SignatureStore(catalog.signatures, nullLogger);
  const transform = whiteningTransform(whitening);
  const store = new VectorStore({ dir: dataDir, embedderId: real.embedderId, transform, source: noSource, logger: nullLogger });
  try {
    const rawDim = real.rawDim;
    catalog.transaction(() => {
      catalog.meta.set('model_id', 'accurate');
      catalog.meta.set('embedder_id', real.embedderId);
      catalog.meta.set('dimensions', String(rawDim));
    });
    const cid = asCollectionId(catalog.collections.ensure(COLLECTION).id);
    catalog.collections.addRoot(cid, photosDir, false);
    writeWhitening(dataDir, real.embedderId, whitening);
    store.open(cid);

    // 1. Signatures, photo by photo (each decoded once): the real photo, its variants, the variants' copies.
    const facts = new Map<string, FileFacts>();
    const byPhoto = new Map<number, Member[]>();
    for (const m of members) {
      if (m.role === 'same' || (m.family.variant === 0 && m.role === 'copy')) continue;
      const list = byPhoto.get(m.family.photo) ?? [];
      list.push(m);
      byPhoto.set(m.family.photo, list);
    }
    let done = 0;
    let last = performance.now();
    for (const [photo, list] of byPhoto) {
      const path = real.paths[photo]!;
      const img = await decodeForSignature(path);
      const meta = await sharp(path).metadata();
      const scale = (meta.width ?? img.width) / img.width;
      const bytes = statSync(path).size;
      const batch: { hash: Buffer; signature: ImageSignature }[] = [];
      for (const m of list) {
        const variant = variantOf(img, m.family.variant);
        if (m.role === 'base') {
          batch.push({ hash: memberHash(m), signature: signatureFromRaw(variant) });
          const share = (variant.width * variant.height) / (img.width * img.height);
          facts.set(familyDir(m.family), { size: Math.round(bytes * share), width: Math.round(variant.width * scale), height: Math.round(variant.height * scale), format: 'jpeg' });
        } else {
          const png = await sharp(Buffer.from(variant.data), { raw: { width: variant.width, height: variant.height, channels: variant.channels as 3 } })
            .png({ compressionLevel: 1 })
            .toBuffer();
          const altered = await alterImage(png, m.kind!);
          const info = await sharp(altered.data).metadata();
          batch.push({ hash: memberHash(m), signature: await computeSignature(altered.data) });
          facts.set(`${familyDir(m.family)}/${memberName(m)}`, { size: altered.data.length, width: info.width ?? 0, height: info.height ?? 0, format: info.format ?? altered.ext });
        }
      }
      signatures.put(batch);
      done += list.length;
      if (performance.now() - last > 15_000) {
        last = performance.now();
        log(`dedupe-scale: ${done}/${members.length} signatures`);
      }
    }
    const realCopy = (m: Member) => copies.get(`${m.family.photo}:${m.kind}`)!;
    signatures.put(members.filter((m) => m.family.variant === 0 && m.role === 'copy').map((m) => ({ hash: memberHash(m), signature: realCopy(m).signature })));

    // 2. Embeddings, items and the index, in family order.
    const kinds = new Map<AlterationKind, { photo: number; raw: Float32Array }[]>();
    for (const [k, c] of copies) {
      const [photo, kind] = k.split(':') as [string, AlterationKind];
      kinds.set(kind, [...(kinds.get(kind) ?? []), { photo: Number(photo), raw: c.raw }]);
    }
    const photoRaw = (photo: number) => real.raw.subarray(photo * rawDim, (photo + 1) * rawDim);
    let block = -1;
    let synthetic: Float32Array = new Float32Array(0);
    const baseRaw = (f: Family): Float32Array => {
      if (f.variant === 0) return photoRaw(f.photo);
      const b = Math.floor(f.variantSeq / VECTOR_BLOCK);
      if (b !== block) {
        block = b;
        synthetic = synthesizeVectors(real.raw, real.count, rawDim, VECTOR_BLOCK, 9_000 + b);
      }
      const r = f.variantSeq % VECTOR_BLOCK;
      return synthetic.subarray(r * rawDim, (r + 1) * rawDim);
    };
    // A variant's copy: the variant's vector moved as a real photo's copy of that kind moved from its photo.
    const derivedRaw = (m: Member, base: Float32Array): Float32Array => {
      const list = kinds.get(m.kind!)!;
      const donor = list.find((d) => d.photo === m.family.photo) ?? list[m.family.n % list.length]!;
      const from = photoRaw(donor.photo);
      const out = new Float32Array(rawDim);
      let norm = 0;
      for (let d = 0; d < rawDim; d++) {
        out[d] = base[d]! + donor.raw[d]! - from[d]!;
        norm += out[d]! * out[d]!;
      }
      const inv = 1 / Math.sqrt(norm);
      for (let d = 0; d < rawDim; d++) out[d]! *= inv;
      return out;
    };
    const mtimeMs = Date.UTC(2024, 0, 1);
    const CHUNK = 2048;
    for (let start = 0; start < members.length; start += CHUNK) {
      const chunk = members.slice(start, start + CHUNK);
      const stored = new Float32Array(chunk.length * rawDim);
      const ids: number[] = [];
      catalog.transaction(() => {
        chunk.forEach((m, r) => {
          const f = m.family;
          const base = baseRaw(f);
          let raw = base;
          let fileFacts: FileFacts;
          if (m.role === 'copy' && f.variant === 0) {
            const c = realCopy(m);
            raw = c.raw;
            fileFacts = c;
          } else if (m.role === 'copy') {
            raw = derivedRaw(m, base);
            fileFacts = facts.get(`${familyDir(f)}/${memberName(m)}`)!;
          } else {
            fileFacts = facts.get(familyDir(f))!;
          }
          const vector = encodeF16(raw);
          // The index gets the stored (f16-rounded) vector, as the index job does.
          decodeF16(vector, stored, r * rawDim);
          ids.push(
            catalog.items.insertIndexed({
              collectionId: cid,
              path: join(photosDir, familyDir(f), `${memberName(m)}.${fileFacts.format === 'jpeg' ? 'jpg' : fileFacts.format}`),
              size: fileFacts.size,
              mtimeMs: mtimeMs + f.n * 1000 + (m.role === 'base' ? 0 : 1),
              hash: memberHash(m),
              width: fileFacts.width,
              height: fileFacts.height,
              format: fileFacts.format,
              modelId: real.embedderId,
              dim: rawDim,
              vector,
            }),
          );
        });
      });
      // The engine's own bulk transform (one matrix product per batch), as its index rebuilds use it.
      const y = await store.prepareMany(stored, chunk.length);
      store.addPrepared(cid, ids, y);
      if (performance.now() - last > 15_000) {
        last = performance.now();
        log(`dedupe-scale: ${start + chunk.length}/${members.length} items`);
      }
    }
    store.close();
  } finally {
    catalog.close();
  }
}


// ---------------------------------------------------------------------------------------------------------------
// Scoring

interface Quality {
  /** Pairs inside predicted groups that are one family, over all of them (a part of a photo counted false). */
  precision: number;
  /** The same with a part of a photo counted as its duplicate (issue 16: "cropped to a part of itself"). */
  precisionWithParts: number;
  /** Predicted pairs of two variants of one photo where one is a plain cut of the other (see variantContains). */
  containedSiblings: number;
  recall: number;
  truePairs: number;
  predictedPairs: number;
  /** Recall over the pairs of real-photo families and of variant families. */
  recallReal: number;
  recallVariant: number;
  /** Predicted pairs of two different pictures of one photo (variants), and of unrelated pictures. */
  falseSiblings: number;
  falseOther: number;
  falseExamples: string[];
  groups: number;
  itemsInGroups: number;
}

/** Where variant `v` shows its photo, in 0..1 units of the photo: the region, cut into its two halves if shifted. */
function variantPieces(v: number): [number, number, number, number][] {
  const [x, y, w, h] = REGION_BOXES[regionOf(v)]!;
  const shift = Math.floor(v / 2) % SHIFTS;
  if (shift === 1) return [[x, y, w / 2, h], [x + w / 2, y, w / 2, h]];
  if (shift === 2) return [[x, y, w, h / 2], [x, y + h / 2, w, h / 2]];
  return [[x, y, w, h]];
}

/**
 * Variant `inner` is a plain cut of variant `outer` of the same photo: same polarity, not shifted, and its region
 * lies inside one intact piece of the other (the real photo is variant 0, the whole). Issue 16 counts a part of a
 * photo as its duplicate ("cropped to a part of itself"), which this bench's variants, designed before it as
 * non-copies, did not.
 */
function variantContains(outer: number, inner: number): boolean {
  if (outer % 2 !== inner % 2 || Math.floor(inner / 2) % SHIFTS !== 0) return false;
  const [[x, y, w, h]] = variantPieces(inner) as [[number, number, number, number]];
  return variantPieces(outer).some(([px, py, pw, ph]) => x >= px && y >= py && x + w <= px + pw && y + h <= py + ph);
}

/** Family key of an item path: photo (source duplicates merged) and variant. */
function truthKeys(real: RealVectors): (path: string) => { family: string; photo: number; variant: number; real: boolean } {
  const dataset = resolve(args.dataset ?? dirname(dirname(real.paths[0]!)));
  const index = new Map(real.paths.map((p, i) => [relative(dataset, p), i]));
  const canonical = new Map<number, number>();
  for (const [a, b] of SOURCE_DUPLICATES) {
    const ia = index.get(a);
    const ib = index.get(b);
    if (ia !== undefined && ib !== undefined) canonical.set(ib, ia);
  }
  return (path) => {
    const m = /f(\d+)-p(\d+)-v(\d+)[/\\][^/\\]+$/.exec(path);
    if (!m) throw new Error(`dedupe-scale: not a bench path: ${path}`);
    const photo = Number(m[2]);
    const variant = Number(m[3]);
    return { family: `${canonical.get(photo) ?? photo}:${variant}`, photo, variant, real: variant === 0 };
  };
}

const shortPath = (p: string) => `${basename(dirname(p))}/${basename(p)}`;

function score(result: DupesResult, members: readonly Member[], keyOf: ReturnType<typeof truthKeys>, photosDir: string): Quality {
  const familySizes = new Map<string, { n: number; real: boolean }>();
  for (const m of members) {
    const k = keyOf(join(photosDir, familyDir(m.family), 'x')).family;
    const had = familySizes.get(k) ?? { n: 0, real: m.family.variant === 0 };
    had.n++;
    familySizes.set(k, had);
  }
  let truePairs = 0;
  let realPairs = 0;
  for (const { n, real } of familySizes.values()) {
    truePairs += (n * (n - 1)) / 2;
    if (real) realPairs += (n * (n - 1)) / 2;
  }
  let predicted = 0;
  let tp = 0;
  let tpReal = 0;
  let siblings = 0;
  let contained = 0;
  let other = 0;
  const examples: string[] = [];
  let itemsInGroups = 0;
  for (const g of result.groups) {
    const keys = g.items.map((i) => keyOf(i.path));
    itemsInGroups += keys.length;
    for (let a = 0; a < keys.length; a++) {
      for (let b = a + 1; b < keys.length; b++) {
        predicted++;
        const x = keys[a]!;
        const y = keys[b]!;
        if (x.family === y.family) {
          tp++;
          if (x.real) tpReal++;
        } else if (x.photo === y.photo && (variantContains(x.variant, y.variant) || variantContains(y.variant, x.variant))) {
          contained++;
        } else {
          if (x.photo === y.photo) siblings++;
          else other++;
          if (examples.length < 10) examples.push(`${shortPath(g.items[a]!.path)} ~ ${shortPath(g.items[b]!.path)}`);
        }
      }
    }
  }
  return {
    precision: predicted > 0 ? tp / predicted : 1,
    precisionWithParts: predicted > 0 ? (tp + contained) / predicted : 1,
    containedSiblings: contained,
    recall: truePairs > 0 ? tp / truePairs : 1,
    truePairs,
    predictedPairs: predicted,
    recallReal: realPairs > 0 ? tpReal / realPairs : 1,
    recallVariant: truePairs - realPairs > 0 ? (tp - tpReal) / (truePairs - realPairs) : 1,
    falseSiblings: siblings,
    falseOther: other,
    falseExamples: examples,
    groups: result.groups.length,
    itemsInGroups,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Measurement

const STAGES = ['load', 'signatures', 'candidates', 'verification', 'grouping', 'contract'] as const;
type Stage = (typeof STAGES)[number];

interface Run {
  totalMs: number;
  /** CPU time of the whole process (all threads) during the list: less sensitive to a busy machine than wall time. */
  cpuMs: number;
  /** Time the main thread spent in V8's garbage collector during the list, all kinds and full (mark-compact) only. */
  gcMs: number;
  gcMajorMs: number;
  stagesMs: Record<Stage, number>;
  result: DupesResult;
}

/** One `dupes:list` as the CLI does it: a fresh engine, the service's list, the contract's output parse. */
async function measureOnce(folder: Folder): Promise<Run> {
  const engine = await createEngine({ dataDir: folder.dataDir, modelId: 'accurate', logger: createLogger({ level: 'warn', sink: log }) });
  try {
    const gc = { all: 0, major: 0 };
    const count = (entries: readonly PerformanceEntry[]) => {
      for (const e of entries) {
        gc.all += e.duration;
        if ((e as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gc.major += e.duration;
      }
    };
    const observer = new PerformanceObserver((list) => count(list.getEntries()));
    observer.observe({ entryTypes: ['gc'] });
    const cpu = process.cpuUsage();
    const started = performance.now();
    const result = await engine.dedupe.list({ collections: [COLLECTION] });
    const listed = performance.now();
    const parsed = api['dupes:list'].output.safeParse(result);
    const finished = performance.now();
    const used = process.cpuUsage(cpu);
    count(observer.takeRecords());
    observer.disconnect();
    if (!parsed.success) throw new Error(`dedupe-scale: the result broke the contract: ${parsed.error.message.slice(0, 300)}`);
    const s = result.stats.stages;
    return {
      totalMs: finished - started,
      cpuMs: (used.user + used.system) / 1000,
      gcMs: gc.all,
      gcMajorMs: gc.major,
      stagesMs: {
        load: s.load * 1000,
        signatures: s.signatures * 1000,
        candidates: s.candidates * 1000,
        verification: s.verification * 1000,
        grouping: s.grouping * 1000,
        contract: finished - listed,
      },
      result,
    };
  } finally {
    await engine.close();
  }
}

const fmtS = (ms: number) => (ms >= 100_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(1)} s`);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

async function main(): Promise<void> {
  const sizes = args
    .sizes!.split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
  const runs = Math.max(1, Number(args.runs));
  if (sizes.length === 0) throw new Error('dedupe-scale: --sizes needs at least one positive integer');
  const real = await loadRealVectors({ ...(args.dataset ? { dataset: args.dataset } : {}), cacheDir: cacheRoot, log });
  const realOrder = sampleDeterministic(
    Array.from({ length: real.count }, (_, i) => i),
    real.count,
    42,
  );
  const masks = await collidingRegions(real);
  const copies = await realCopies(real, realOrder);
  const folders: Folder[] = [];
  for (const size of sizes) folders.push(await dedupeFolder(size, real, realOrder, masks, copies));
  const keyOf = truthKeys(real);

  const measured = new Map<number, Run[]>();
  const quality = new Map<number, Quality>();
  for (let r = 0; r < runs; r++) {
    for (const folder of folders) {
      const run = await measureOnce(folder);
      const list = measured.get(folder.size) ?? [];
      list.push(run);
      measured.set(folder.size, list);
      if (!quality.has(folder.size)) quality.set(folder.size, score(run.result, folder.members, keyOf, folder.photosDir));
      log(`dedupe-scale: run ${r + 1}/${runs}, ${folder.size} items: ${fmtS(run.totalMs)}, CPU ${fmtS(run.cpuMs)}, GC ${fmtS(run.gcMs)} (full ${fmtS(run.gcMajorMs)}) (${STAGES.map((s) => `${s} ${fmtS(run.stagesMs[s])}`).join(', ')}); ${run.result.stats.candidates} candidates, ${run.result.stats.inner} from inner pictures, ${run.result.stats.contained} verified as contained`);
      run.result.groups = [];
    }
  }

  const base = folders[0]!.size;
  const baseMedian = summarize(measured.get(base)!.map((r) => r.totalMs)).median;
  const baseCpu = summarize(measured.get(base)!.map((r) => r.cpuMs)).median;
  const rows = folders.map((f) => {
    const list = measured.get(f.size)!;
    const total = summarize(list.map((r) => r.totalMs));
    const cpu = summarize(list.map((r) => r.cpuMs));
    const stages = Object.fromEntries(STAGES.map((s) => [s, summarize(list.map((r) => r.stagesMs[s]))])) as Record<Stage, Summary>;
    const q = quality.get(f.size)!;
    const stats = list[0]!.result.stats;
    return {
      items: f.size,
      runs: list.length,
      totalMs: total,
      perItemMs: total.median / f.size,
      growth: total.median / baseMedian,
      itemGrowth: f.size / base,
      cpuMs: cpu,
      cpuPerItemMs: cpu.median / f.size,
      cpuGrowth: cpu.median / baseCpu,
      gcMs: summarize(list.map((r) => r.gcMs)),
      gcMajorMs: summarize(list.map((r) => r.gcMajorMs)),
      stagesMs: stages,
      quality: q,
      candidates: stats.candidates,
      candidatesPerItem: stats.candidates / f.size,
      verified: stats.verified,
      searched: stats.searched,
      /** The work per unit behind the verification stage: constant per pair means the stage grows with the pairs. */
      verificationUsPerCandidate: (stages.verification.median * 1000) / stats.candidates,
      searchedPerItem: stats.searched / f.size,
    };
  });

  const lines = [
    `# dupes at scale (accurate model, ${runs} run${runs === 1 ? '' : 's'} per size; baseline ${base} items)`,
    '',
    '| items | median | p99 | per item | growth (items) | CPU | CPU per item | CPU growth | GC (full) | load | signatures | candidates | verification | grouping | contract | candidates/item | µs per candidate | crop searches/item | precision | precision, parts as duplicates | recall (real / variant families) | false pairs (siblings; parts) | groups |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const q = r.quality;
      return `| ${r.items} | ${fmtS(r.totalMs.median)} | ${fmtS(r.totalMs.p99)} | ${r.perItemMs.toFixed(2)} ms | ${r.growth.toFixed(2)}× (${r.itemGrowth.toFixed(1)}×) | ${fmtS(r.cpuMs.median)} | ${r.cpuPerItemMs.toFixed(2)} ms | ${r.cpuGrowth.toFixed(2)}× | ${fmtS(r.gcMs.median)} (${fmtS(r.gcMajorMs.median)}) | ${STAGES.map((s) => fmtS(r.stagesMs[s].median)).join(' | ')} | ${r.candidatesPerItem.toFixed(1)} | ${r.verificationUsPerCandidate.toFixed(0)} | ${r.searchedPerItem.toFixed(2)} | ${pct(q.precision)} | ${pct(q.precisionWithParts)} | ${pct(q.recall)} (${pct(q.recallReal)} / ${pct(q.recallVariant)}) | ${q.predictedPairs - Math.round(q.precision * q.predictedPairs)} (${q.falseSiblings}; ${q.containedSiblings}) | ${q.groups} |`;
    }),
    '',
    `Stage columns are medians of wall time. CPU = the process's CPU time (all threads) during the list; GC = the main thread's time in V8's garbage collector (full = mark-compact); machine: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end; peak RSS ${(peakRssBytes() / 2 ** 20).toFixed(0)} MB.`,
    'Stages: load = the scope\'s rows and embeddings; signatures = stored signatures read and prepared; candidates = embedding and layout',
    'neighbours (opening the vector index included); verification = candidate pairs compared on their signatures; grouping = groups,',
    'keepers, scores; contract = the dupes:list output parse. Precision and recall over all pairs inside predicted groups versus all',
    'pairs inside the known families; siblings = two different pictures made from one photo. µs per candidate = verification time per candidate pair; crop',
    'searches = pairs that took the dear search for a crop anywhere (a picture\'s top embedding neighbour that the cheap alignments did not verify).',
  ];
  for (const r of rows) if (r.quality.falseExamples.length > 0) lines.push(`- ${r.items}: false pairs e.g. ${r.quality.falseExamples.slice(0, 3).join('; ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (args.json) {
    const machine = { cores: cpus().length, loadAverage: loadavg(), peakRssMb: peakRssBytes() / 2 ** 20 };
    console.log(JSON.stringify({ section: 'dedupe-scale', sizes, runs, baseline: base, embedderId: real.embedderId, machine, rows }));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
