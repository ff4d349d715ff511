/** The last queries, newest first (table query_history, migration 0006): what the search panel offers to go back to. */
import type { ItemId } from '../../shared/types.js';
import type { Db } from './database.js';

export type HistoryKind = 'image' | 'item' | 'text';

/** A query as recorded: `crop` and `filter` as JSON text, so equality is string equality. */
export interface NewHistoryEntry {
  kind: HistoryKind;
  label: string;
  itemId: ItemId | null;
  /** image: the photo kept for the entry (the bytes as given, or a reduced copy), with its size and SHA-256. */
  image: Buffer | null;
  imageHash: Buffer | null;
  /** image: the SHA-256 of the bytes as given (a later query with the same bytes is the same entry). */
  sourceHash: Buffer | null;
  width: number | null;
  height: number | null;
  /** A small WebP of the photo (image kind). */
  thumb: Buffer | null;
  crop: string | null;
  filter: string | null;
}

export interface HistoryRow extends Omit<NewHistoryEntry, 'image' | 'imageHash' | 'sourceHash'> {
  id: number;
  usedAt: number;
}

interface RawRow {
  id: number;
  kind: HistoryKind;
  label: string;
  item_id: number | null;
  width: number | null;
  height: number | null;
  thumb: Buffer | null;
  crop: string | null;
  filter: string | null;
  used_at: number;
}

const COLUMNS = 'id, kind, label, item_id, width, height, thumb, crop, filter, used_at';

const toRow = (r: RawRow): HistoryRow => ({
  id: r.id,
  kind: r.kind,
  label: r.label,
  itemId: r.item_id as ItemId | null,
  width: r.width,
  height: r.height,
  thumb: r.thumb,
  crop: r.crop,
  filter: r.filter,
  usedAt: r.used_at,
});

export class QueryHistoryRepo {
  constructor(private readonly db: Db) {}

  /** The newest `limit` entries, newest first. */
  list(limit: number): HistoryRow[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM query_history ORDER BY used_at DESC, id DESC LIMIT ?`).all(limit) as RawRow[]).map(toRow);
  }

  newest(): HistoryRow | undefined {
    return this.list(1)[0];
  }

  /** An entry's kept photo, for the image kind. */
  image(id: number): { row: HistoryRow; image: Buffer | null } | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS}, image FROM query_history WHERE id = ?`).get(id) as (RawRow & { image: Buffer | null }) | undefined;
    return r && { row: toRow(r), image: r.image };
  }

  /**
   * The entry asking the same thing: the same item, or a photo whose given or kept bytes have `hash`, or no image
   * at all (text); with `crop` and `filter` equal too when given (undefined: any).
   */
  findSame(q: { kind: HistoryKind; itemId: ItemId | null; hash: Buffer | null; crop?: string | null; filter?: string | null }): HistoryRow | undefined {
    const where: string[] = ['kind = @kind'];
    if (q.kind === 'item') where.push('item_id = @itemId');
    if (q.kind === 'image') where.push('(source_hash = @hash OR image_hash = @hash)');
    if (q.crop !== undefined) where.push('crop IS @crop');
    if (q.filter !== undefined) where.push('filter IS @filter');
    const r = this.db
      .prepare(`SELECT ${COLUMNS} FROM query_history WHERE ${where.join(' AND ')} ORDER BY used_at DESC, id DESC LIMIT 1`)
      .get({ kind: q.kind, itemId: q.itemId, hash: q.hash, crop: q.crop ?? null, filter: q.filter ?? null }) as RawRow | undefined;
    return r && toRow(r);
  }

  /** Records a new entry, then keeps only the newest `keep`. */
  insert(e: NewHistoryEntry, keep: number, now = Date.now()): number {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO query_history (kind, label, item_id, image, image_hash, source_hash, width, height, thumb, crop, filter, used_at)
           VALUES (@kind, @label, @itemId, @image, @imageHash, @sourceHash, @width, @height, @thumb, @crop, @filter, @now)`,
        )
        .run({ ...e, now }).lastInsertRowid,
    );
    this.db.prepare('DELETE FROM query_history WHERE id NOT IN (SELECT id FROM query_history ORDER BY used_at DESC, id DESC LIMIT ?)').run(keep);
    return id;
  }

  /** Moves an entry to the top, with the label, crop and filter of the query that asked it again. */
  touch(id: number, e: { label: string; crop: string | null; filter: string | null }, now = Date.now()): void {
    this.db.prepare('UPDATE query_history SET label = @label, crop = @crop, filter = @filter, used_at = @now WHERE id = @id').run({ ...e, id, now });
  }

  /** Removes one entry (or none); true when one was removed. */
  remove(id: number): boolean {
    return this.db.prepare('DELETE FROM query_history WHERE id = ?').run(id).changes > 0;
  }

  /** Removes every entry; how many there were. */
  clear(): number {
    return this.db.prepare('DELETE FROM query_history').run().changes;
  }
}
