/**
 * The search panel's history: the last queries, kept in the catalog (catalog/query-history.repo.ts) so that going
 * back to one works after a reload or a restart. A dropped photo exists nowhere else in the data folder, so its
 * entry keeps it: as given when it is small and displayable, else a reduced JPEG (what a search sees is the model's
 * input size anyway).
 */
import sharp from 'sharp';
import { AppError } from '../../shared/errors.js';
import type { CropRect, ItemId } from '../../shared/types.js';
import type { EventHub } from '../base/events.js';
import type { Logger } from '../base/logger.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ItemFilter } from '../catalog/products.repo.js';
import type { HistoryKind, HistoryRow } from '../catalog/query-history.repo.js';
import { contentHash, pixelLimit } from '../images/decode.js';

/** Entries kept (the contract's HISTORY_MAX). */
export const HISTORY_KEEP = 20;
/** A photo up to this size (bytes and pixels) in a format every host displays is kept as given. */
const KEEP_AS_GIVEN_BYTES = 2 * 1024 * 1024;
const KEEP_AS_GIVEN_PIXELS = 4_000_000;
const DISPLAYABLE = new Set(['jpeg', 'png', 'webp', 'gif']);
/** Longest side of the reduced copy of a larger photo. */
const REDUCED_SIDE = 1600;
const THUMB_SIDE = 96;
/** A query that only changes the newest entry's filters within this long refines it instead of adding one. */
const REFINE_MS = 30_000;

/** A query photo made ready for the history while its search runs (preparePhoto). */
export interface PreparedPhoto {
  image: Buffer;
  imageHash: Buffer;
  sourceHash: Buffer;
  width: number;
  height: number;
  thumb: Buffer;
  /** Kept photo's pixels per given photo's pixel (1 when kept as given). */
  scale: number;
}

export interface HistoryEntry {
  id: number;
  kind: HistoryKind;
  label: string;
  usedAt: number;
  itemId: ItemId | null;
  width: number | null;
  height: number | null;
  /** Base64 WebP. */
  thumb: string | null;
  crop: CropRect | null;
  filter: ItemFilter | null;
}

export type HistoryQuery =
  | { kind: 'image'; photo: PreparedPhoto }
  | { kind: 'item'; itemId: ItemId }
  | { kind: 'text' };

export class QueryHistory {
  /** `events`: where `history:onChange` goes after each change. */
  constructor(private readonly deps: { catalog: Catalog; logger: Logger; events?: EventHub; maxPixels?: number }) {}

  private changed(): void {
    this.deps.events?.emit('history:onChange', { entries: this.deps.catalog.history.list(HISTORY_KEEP).length });
  }

  /**
   * The kept copy and thumbnail of a query photo (decoded downscaled like a query, so memory stays bounded).
   * @throws AppError CORRUPT_IMAGE / UNSUPPORTED_IMAGE (sharp's own errors, unclassified: the search reports them)
   */
  async preparePhoto(bytes: Buffer): Promise<PreparedPhoto> {
    const sourceHash = contentHash(bytes);
    const options = { failOn: 'none' as const, limitInputPixels: pixelLimit({ maxPixels: this.deps.maxPixels, downscale: true }) };
    const meta = await sharp(bytes, options).metadata();
    const width = meta.autoOrient?.width ?? meta.width;
    const height = meta.autoOrient?.height ?? meta.height;
    if (!width || !height) throw new AppError('CORRUPT_IMAGE', 'The image has no size.');
    let image = bytes;
    let size = { width, height };
    const asGiven = bytes.length <= KEEP_AS_GIVEN_BYTES && width * height <= KEEP_AS_GIVEN_PIXELS && DISPLAYABLE.has(meta.format ?? '') && (meta.pages ?? 1) === 1;
    if (!asGiven) {
      const { data, info } = await sharp(bytes, options)
        .rotate()
        .resize(REDUCED_SIDE, REDUCED_SIDE, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 90 })
        .toBuffer({ resolveWithObject: true });
      image = data;
      size = { width: info.width, height: info.height };
    }
    const thumb = await sharp(image, options).rotate().resize(THUMB_SIDE, THUMB_SIDE, { fit: 'cover' }).webp({ quality: 70, effort: 1 }).toBuffer();
    return { image, imageHash: asGiven ? sourceHash : contentHash(image), sourceHash, ...size, thumb, scale: size.width / width };
  }

  /**
   * Records a query that answered: asked again (the same photo, item or none, with the same crop and filters), it
   * moves to the top; changing only the newest entry's filters within REFINE_MS (typing) replaces them; else a new
   * entry, and only the newest HISTORY_KEEP stay. Never throws: a failure to record is logged, the search stands.
   */
  record(query: HistoryQuery, label: string, crop: CropRect | undefined, filter: ItemFilter | undefined): void {
    try {
      const history = this.deps.catalog.history;
      const kept = crop && query.kind === 'image' ? scaleCrop(crop, query.photo) : crop;
      const cropText = kept ? JSON.stringify({ x: kept.x, y: kept.y, width: kept.width, height: kept.height }) : null;
      const filterText = filter && Object.keys(filter).length > 0 ? JSON.stringify(filter) : null;
      const identity = {
        kind: query.kind,
        itemId: query.kind === 'item' ? query.itemId : null,
        hash: query.kind === 'image' ? query.photo.sourceHash : null,
      };
      this.deps.catalog.transaction(() => {
        const same = history.findSame({ ...identity, crop: cropText, filter: filterText });
        if (same) return history.touch(same.id, { label, crop: cropText, filter: filterText });
        const newest = history.newest();
        const refined = newest && Date.now() - newest.usedAt < REFINE_MS ? history.findSame({ ...identity, crop: cropText }) : undefined;
        if (refined && refined.id === newest?.id) return history.touch(refined.id, { label, crop: cropText, filter: filterText });
        const photo = query.kind === 'image' ? query.photo : null;
        history.insert(
          {
            kind: query.kind,
            label,
            itemId: identity.itemId,
            image: photo?.image ?? null,
            imageHash: photo?.imageHash ?? null,
            sourceHash: photo?.sourceHash ?? null,
            width: photo?.width ?? null,
            height: photo?.height ?? null,
            thumb: photo?.thumb ?? null,
            crop: cropText,
            filter: filterText,
          },
          HISTORY_KEEP,
        );
      });
      this.changed();
    } catch (err) {
      this.deps.logger.warn('could not record the query in the history', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  list(): HistoryEntry[] {
    return this.deps.catalog.history.list(HISTORY_KEEP).map(toEntry);
  }

  /** @throws AppError NOT_FOUND */
  get(id: number): { entry: HistoryEntry; image: string | null } {
    const found = this.deps.catalog.history.image(id);
    if (!found) throw new AppError('NOT_FOUND', `No query ${id} in the history (it may have been cleared).`);
    return { entry: toEntry(found.row), image: found.image?.toString('base64') ?? null };
  }

  remove(id: number): boolean {
    const removed = this.deps.catalog.history.remove(id);
    if (removed) this.changed();
    return removed;
  }

  clear(): number {
    const removed = this.deps.catalog.history.clear();
    this.changed();
    return removed;
  }
}

/** A crop of the given photo in the kept copy's pixels. */
function scaleCrop(crop: CropRect, photo: PreparedPhoto): CropRect {
  if (photo.scale === 1) return crop;
  const x = Math.min(photo.width - 1, Math.round(crop.x * photo.scale));
  const y = Math.min(photo.height - 1, Math.round(crop.y * photo.scale));
  return {
    x,
    y,
    width: Math.max(1, Math.min(photo.width - x, Math.round(crop.width * photo.scale))),
    height: Math.max(1, Math.min(photo.height - y, Math.round(crop.height * photo.scale))),
  };
}

function toEntry(r: HistoryRow): HistoryEntry {
  return {
    id: r.id,
    kind: r.kind,
    label: r.label,
    usedAt: r.usedAt,
    itemId: r.itemId,
    width: r.width,
    height: r.height,
    thumb: r.thumb?.toString('base64') ?? null,
    crop: r.crop ? (JSON.parse(r.crop) as CropRect) : null,
    filter: r.filter ? (JSON.parse(r.filter) as ItemFilter) : null,
  };
}
