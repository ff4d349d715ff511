/**
 * Every global descriptor the bench compares, for one image: the whole photo (the app's three views: plain,
 * mirror, zoomed-out 0.8) and the object region that SCDA finds in the photo's own mixed6 map, re-embedded the
 * same way. Each image is decoded and embedded once per region; results are cached on disk per image.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeForModel } from '../../src/core/images/decode.js';
import type { ModelInputSpec } from '../../src/core/models/embedder.js';
import { createPixelPacker, packPixels, zoomOutPixels } from '../../src/core/models/preprocess.js';
import type { ImageMaps, MapsRunner } from './maps-model.js';
import { averageViews, centredGem, crowGem, flatGem, fuse, rmac, scdaBox, type CellBox } from './pooling.js';

/** Bump when a descriptor's definition changes, so cached files are recomputed. */
const DESCRIBE_VERSION = 4;

export const GLOBAL_VARIANTS = ['acc', 'acc-nopow', 'flat', 'm56', 'm456', 'rmac', 'crow'] as const;
export type GlobalVariant = (typeof GLOBAL_VARIANTS)[number];

export interface ImageDescriptors {
  /** Whole photo (plain, mirror, zoom-out views averaged as the app does), per variant. */
  full: Record<GlobalVariant, Float32Array>;
  /** Per-view `acc` vectors (plain, mirror, zoom), before averaging. */
  views: Float32Array[];
  /** The SCDA region of the plain view's mixed6 map, in the oriented photo's pixels, and the mask's share of the map. */
  box: { x: number; y: number; width: number; height: number; area: number };
  /** Milliseconds spent on decode + inference + pooling. */
  ms: number;
}

/** The SCDA region re-embedded (plain view only: a second full three-view pass would double the index cost). */
export interface CropDescriptors {
  crop: Record<GlobalVariant, Float32Array>;
  ms: number;
}

const VIEWS = 3;

function perView(maps: ImageMaps): Record<GlobalVariant, Float32Array> {
  const g4 = centredGem(maps.mixed4);
  const g5 = centredGem(maps.mixed5);
  const g6 = centredGem(maps.mixed6);
  const g8 = centredGem(maps.mixed8);
  const acc = fuse([{ v: g4, weight: 1 }, { v: g6, weight: 1 }, { v: g8, weight: 0.4 }]);
  return {
    acc,
    'acc-nopow': acc,
    flat: fuse([{ v: flatGem(maps.mixed4), weight: 1 }, { v: flatGem(maps.mixed6), weight: 1 }, { v: flatGem(maps.mixed8), weight: 0.4 }]),
    m56: fuse([{ v: g5, weight: 1 }, { v: g6, weight: 1 }]),
    m456: fuse([{ v: g4, weight: 1 }, { v: g5, weight: 1 }, { v: g6, weight: 1 }]),
    rmac: fuse([{ v: rmac(maps.mixed4), weight: 1 }, { v: rmac(maps.mixed6), weight: 1 }, { v: g8, weight: 0.4 }]),
    crow: fuse([{ v: crowGem(maps.mixed4), weight: 1 }, { v: crowGem(maps.mixed6), weight: 1 }, { v: crowGem(maps.mixed8), weight: 0.4 }]),
  };
}

export function combine(views: Record<GlobalVariant, Float32Array>[]): Record<GlobalVariant, Float32Array> {
  const out = {} as Record<GlobalVariant, Float32Array>;
  for (const k of GLOBAL_VARIANTS) out[k] = averageViews(views.map((v) => v[k]), k === 'acc-nopow' ? undefined : 0.5);
  return out;
}

/** The SCDA cell box of the centre-cropped view mapped back to the oriented photo, squared and padded by half a cell. */
export function boxToPixels(box: CellBox, cells: number, width: number, height: number): { x: number; y: number; width: number; height: number } {
  const side = Math.min(width, height);
  const ox = (width - side) / 2;
  const oy = (height - side) / 2;
  const cell = side / cells;
  const cx = ox + ((box.x0 + box.x1 + 1) / 2) * cell;
  const cy = oy + ((box.y0 + box.y1 + 1) / 2) * cell;
  let s = Math.max(box.x1 - box.x0 + 2, box.y1 - box.y0 + 2) * cell;
  s = Math.min(s, width, height);
  const x = Math.round(Math.min(Math.max(0, cx - s / 2), width - s));
  const y = Math.round(Math.min(Math.max(0, cy - s / 2), height - s));
  const size = Math.max(8, Math.floor(Math.min(s, width - x, height - y)));
  return { x, y, width: size, height: size };
}

interface Decoded {
  pixels: Buffer;
  width: number;
  height: number;
}

function packerFor(size: number) {
  return createPixelPacker({ name: 'image', width: size, height: size, channels: 3, layout: 'nchw', resize: 'center-crop', scaling: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] } });
}

async function embedViews(runner: MapsRunner, images: readonly Decoded[], views: 1 | 3): Promise<ImageMaps[][]> {
  const size = runner.size;
  const packer = packerFor(size);
  const input = new Float32Array(images.length * views * packer.size);
  images.forEach((img, i) => {
    packPixels(packer, img.pixels, input, i * views * packer.size);
    if (views === 3) {
      packPixels(packer, img.pixels, input, (i * views + 1) * packer.size, true);
      packPixels(packer, zoomOutPixels(img.pixels, size, size, 0.8), input, (i * views + 2) * packer.size);
    }
  });
  const maps = await runner.run(input, images.length * views);
  return images.map((_, i) => maps.slice(i * views, (i + 1) * views));
}

function cachePath(dir: string, kind: string, key: string): string {
  return join(dir, `${kind}-${createHash('sha1').update(`${DESCRIBE_VERSION}:${kind}:${key}`).digest('hex')}.bin`);
}

async function readBlob(path: string): Promise<{ header: Record<string, unknown>; vecs: Float32Array[] } | undefined> {
  if (!existsSync(path)) return undefined;
  const buf = await readFile(path);
  const headerLen = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + headerLen).toString('utf8')) as { dims: number[] } & Record<string, unknown>;
  const floats = new Float32Array(buf.buffer.slice(buf.byteOffset + 4 + headerLen, buf.byteOffset + buf.length));
  const vecs: Float32Array[] = [];
  let o = 0;
  for (const d of header.dims) {
    vecs.push(floats.slice(o, o + d));
    o += d;
  }
  return { header, vecs };
}

async function writeBlob(path: string, header: Record<string, unknown>, vecs: readonly Float32Array[]): Promise<void> {
  const h = Buffer.from(JSON.stringify({ ...header, dims: vecs.map((v) => v.length) }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(h.length);
  await writeFile(`${path}.tmp`, Buffer.concat([len, h, ...vecs.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))]));
  await rename(`${path}.tmp`, path);
}

function variantsOf(vecs: readonly Float32Array[]): Record<GlobalVariant, Float32Array> {
  const out = {} as Record<GlobalVariant, Float32Array>;
  GLOBAL_VARIANTS.forEach((k, i) => (out[k] = vecs[i]!));
  return out;
}

export interface DescribeOptions {
  runner: MapsRunner;
  cacheDir: string;
  batch?: number;
  onProgress?: (done: number, total: number) => void;
  /** Stop computing new images after this many milliseconds (cached ones still load); the rest are left out. */
  budgetMs?: number;
  /** Only read the cache. */
  cachedOnly?: boolean;
}

async function runBatches<T>(
  paths: readonly string[],
  options: DescribeOptions,
  read: (p: string) => Promise<T | undefined>,
  compute: (chunk: readonly string[]) => Promise<T[]>,
): Promise<Map<string, T>> {
  await mkdir(options.cacheDir, { recursive: true });
  const out = new Map<string, T>();
  const todo: string[] = [];
  for (const p of paths) {
    const cached = await read(p);
    if (cached !== undefined) out.set(p, cached);
    else todo.push(p);
  }
  if (options.cachedOnly) return out;
  const batch = options.batch ?? 4;
  const started = performance.now();
  for (let s = 0; s < todo.length; s += batch) {
    if (options.budgetMs !== undefined && performance.now() - started > options.budgetMs) break;
    const chunk = todo.slice(s, s + batch);
    const results = await compute(chunk);
    chunk.forEach((p, i) => out.set(p, results[i]!));
    options.onProgress?.(out.size, paths.length);
  }
  return out;
}

const SPEC = (size: number): ModelInputSpec => ({ width: size, height: size, resize: 'center-crop' });

/** Whole-photo descriptors of every path (cached ones read from disk); the key is the path itself. */
export async function describeAll(paths: readonly string[], options: DescribeOptions): Promise<Map<string, ImageDescriptors>> {
  const spec = SPEC(options.runner.size);
  return runBatches<ImageDescriptors>(
    paths,
    options,
    async (p) => {
      const blob = await readBlob(cachePath(options.cacheDir, 'full', p));
      if (!blob) return undefined;
      const n = GLOBAL_VARIANTS.length;
      return { full: variantsOf(blob.vecs.slice(0, n)), views: blob.vecs.slice(n), box: blob.header.box as ImageDescriptors['box'], ms: blob.header.ms as number };
    },
    async (chunk) => {
      const t0 = performance.now();
      const decoded = await Promise.all(chunk.map(async (p) => decodeForModel(await readFile(p), spec)));
      const maps = await embedViews(options.runner, decoded, 3);
      const ms = (performance.now() - t0) / chunk.length;
      const results = maps.map((vs, i): ImageDescriptors => {
        const views = vs.map(perView);
        const cells = scdaBox(vs[0]!.mixed6);
        const box = { ...boxToPixels(cells, vs[0]!.mixed6.w, decoded[i]!.width, decoded[i]!.height), area: cells.area };
        return { full: combine(views), views: views.map((v) => v.acc), box, ms };
      });
      await Promise.all(results.map((d, i) => writeBlob(cachePath(options.cacheDir, 'full', chunk[i]!), { box: d.box, ms: d.ms }, [...GLOBAL_VARIANTS.map((k) => d.full[k]), ...d.views])));
      return results;
    },
  );
}

/** Descriptors of each photo's SCDA region (`boxes` from describeAll), plain view only. */
export async function describeCrops(paths: readonly string[], boxes: ReadonlyMap<string, ImageDescriptors['box']>, options: DescribeOptions): Promise<Map<string, CropDescriptors>> {
  const spec = SPEC(options.runner.size);
  return runBatches<CropDescriptors>(
    paths,
    options,
    async (p) => {
      const blob = await readBlob(cachePath(options.cacheDir, 'crop', p));
      return blob ? { crop: variantsOf(blob.vecs), ms: blob.header.ms as number } : undefined;
    },
    async (chunk) => {
      const t0 = performance.now();
      const decoded = await Promise.all(
        chunk.map(async (p) => {
          const b = boxes.get(p);
          if (b === undefined) throw new Error(`no box for ${p}`);
          return decodeForModel(await readFile(p), spec, { crop: { x: b.x, y: b.y, width: b.width, height: b.height } });
        }),
      );
      const maps = await embedViews(options.runner, decoded, 1);
      const ms = (performance.now() - t0) / chunk.length;
      const results = maps.map((vs): CropDescriptors => ({ crop: combine(vs.map(perView)), ms }));
      await Promise.all(results.map((d, i) => writeBlob(cachePath(options.cacheDir, 'crop', chunk[i]!), { ms: d.ms }, GLOBAL_VARIANTS.map((k) => d.crop[k]))));
      return results;
    },
  );
}
