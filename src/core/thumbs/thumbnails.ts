/**
 * Thumbnails rendered once and cached in the data folder (`<dataDir>/thumbs/<size>/<id>-<content key>.webp`).
 * Keyed by item id and the catalog's content hash, so an edited file gets a new thumbnail and an unchanged one
 * is never rendered twice. Items are looked up by id only: no caller-supplied path reaches the file system.
 */
import { readdirSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { asItemId } from '../../shared/types.js';
import { snapThumbSize } from '../../shared/web.js';
import type { Catalog } from '../catalog/catalog.js';
import { classifySharpError, pixelLimit, readImageFile } from '../images/decode.js';

export const THUMB_DIR = 'thumbs';
const CONTENT_TYPE = 'image/webp';
/** Rendering is CPU-bound; a grid asks for dozens at once, so keep the UI's other work responsive. */
const MAX_CONCURRENT_RENDERS = 2;

export interface ThumbSource {
  path: string;
  /** Changes whenever the file's content does (the catalog's hash, else size and mtime). */
  key: string;
}

export interface Thumbnails {
  /**
   * The cached thumbnail of an item, rendered on first use (EXIF-oriented, fit inside size × size).
   * @throws AppError ITEM_NOT_FOUND, NOT_FOUND (file gone), CORRUPT_IMAGE, UNSUPPORTED_IMAGE
   */
  thumbnail(id: number, size: number): Promise<{ path: string; contentType: string }>;
  /** @throws AppError ITEM_NOT_FOUND */
  imagePath(id: number): Promise<string>;
}

/** Looks items up in the catalog by id. */
export function catalogThumbSource(catalog: Catalog): (id: number) => ThumbSource {
  return (id) => {
    const item = catalog.items.require(asItemId(id));
    return { path: item.path, key: thumbKey(catalog.items.hash(item.id) ?? null, item.size, item.mtimeMs) };
  };
}

/** The content part of a thumbnail's name: the catalog's hash, else size and mtime. */
export function thumbKey(hash: Buffer | null, size: number, mtimeMs: number): string {
  return hash ? hash.toString('hex').slice(0, 16) : `${size.toString(36)}${Math.round(mtimeMs).toString(36)}`;
}

function limiter(max: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => queue.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      queue.shift()?.();
    }
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export interface ThumbnailsOptions {
  dataDir: string;
  source: (id: number) => ThumbSource;
  /**
   * Called right before an item's file is read or handed out; returns the path to open, or throws to refuse
   * (served-engine.ts confines it to the collection's folders). A cached thumbnail needs no file access.
   */
  resolveFile?: (id: number, path: string) => Promise<string>;
  maxPixels?: number;
  /** Source files larger than this are refused (IMAGE_TOO_LARGE), as the index job refuses them. */
  maxFileBytes?: number;
}

export function createThumbnails(options: ThumbnailsOptions): Thumbnails {
  const resolveFile = options.resolveFile ?? (async (_id: number, path: string) => path);
  const limit = limiter(MAX_CONCURRENT_RENDERS);
  const inFlight = new Map<string, Promise<void>>();

  async function render(src: string, out: string, size: number): Promise<void> {
    const bytes = await readImageFile(src, options.maxFileBytes === undefined ? {} : { maxBytes: options.maxFileBytes });
    let webp: Buffer;
    try {
      // Only ever reduced (shrink-on-load, streaming), as an item indexed downscaled was: up to the downscale limit.
      webp = await sharp(bytes, { failOn: 'none', limitInputPixels: pixelLimit({ maxPixels: options.maxPixels, downscale: true }) })
        .rotate()
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        // effort 1 (of 0–6, default 4): ~40% less CPU per thumbnail (4.3 vs 7.1 ms for 256 px clothes photos) for
        // ~15% more bytes, which a local page does not feel; a first page renders two dozen of them.
        .webp({ quality: 80, effort: 1 })
        .toBuffer();
    } catch (err) {
      throw classifySharpError(err);
    }
    await mkdir(join(out, '..'), { recursive: true });
    // Write then rename, so a reader never sees half a file and a crash leaves no corrupt cache entry.
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, webp);
      await rename(tmp, out);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  return {
    async thumbnail(id, requested) {
      // Only the fixed set of sizes is ever rendered, so a client cannot fill the disk with variants.
      const size = snapThumbSize(requested);
      const { path, key } = options.source(id);
      const out = join(options.dataDir, THUMB_DIR, String(size), `${id}-${key}.webp`);
      if (!(await exists(out))) {
        let pending = inFlight.get(out);
        if (!pending) {
          pending = limit(async () => render(await resolveFile(id, path), out, size)).finally(() => inFlight.delete(out));
          inFlight.set(out, pending);
        }
        await pending;
      }
      return { path: out, contentType: CONTENT_TYPE };
    },
    async imagePath(id) {
      return resolveFile(id, options.source(id).path);
    },
  };
}

/** One cached thumbnail file, parsed from its name. */
export interface ThumbFile {
  path: string;
  id: number;
  key: string;
}

const THUMB_NAME = /^(\d+)-([0-9a-z]+)\.webp$/;

/** Every cached thumbnail under `<dataDir>/thumbs` (temp files and foreign names are left out). */
export function listThumbnails(dataDir: string): ThumbFile[] {
  const root = join(dataDir, THUMB_DIR);
  const out: ThumbFile[] = [];
  for (const size of safeList(root)) {
    for (const name of safeList(join(root, size))) {
      const m = THUMB_NAME.exec(name);
      if (m) out.push({ path: join(root, size, name), id: Number(m[1]), key: m[2]! });
    }
  }
  return out;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
