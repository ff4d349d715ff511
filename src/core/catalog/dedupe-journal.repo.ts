/**
 * The dedupe journal: every action (trash, move, not-duplicate) with the files it touched, written before the
 * files are touched and updated after each one, so an interrupted action can still be undone after a restart.
 * Also the remembered "not duplicates" pairs, keyed by content hash.
 */
import type { Db } from './database.js';

export type ActionKind = 'trash' | 'move' | 'not-duplicate';
export type ActionItemStatus = 'pending' | 'done' | 'skipped' | 'restored' | 'failed';

export interface ActionRow {
  id: number;
  kind: ActionKind;
  destination: string | null;
  createdAt: number;
  finishedAt: number | null;
  undoneAt: number | null;
}

/** An action with how many files it listed and how many of them it moved. */
export interface ActionListRow extends ActionRow {
  items: number;
  done: number;
}

/** A touched file and the catalog row it had (its embedding included), enough to put the row back. */
export interface ActionItemRow {
  seq: number;
  itemId: number;
  collectionId: number;
  path: string;
  destination: string | null;
  hash: Buffer;
  size: number;
  mtimeMs: number;
  width: number | null;
  height: number | null;
  format: string | null;
  modelId: string | null;
  dim: number | null;
  vector: Buffer | null;
  status: ActionItemStatus;
  message: string | null;
  startedAt: number | null;
  endedAt: number | null;
}

export type NewActionItem = Omit<ActionItemRow, 'seq' | 'destination' | 'status' | 'message' | 'startedAt' | 'endedAt'>;

type RawAction = { id: number; kind: ActionKind; destination: string | null; created_at: number; finished_at: number | null; undone_at: number | null };
const toAction = (r: RawAction): ActionRow => ({
  id: r.id,
  kind: r.kind,
  destination: r.destination,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
  undoneAt: r.undone_at,
});

/** Content hashes ordered so (a, b) and (b, a) are one key. */
export function orderedPair(a: Buffer, b: Buffer): [Buffer, Buffer] {
  return Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
}

/** Reads and writes the dedupe journal tables (see migrations/0002-dedupe-match.ts). */
export class DedupeJournalRepo {
  constructor(private readonly db: Db) {}

  /** Records an action and its items (all 'pending'). @returns the action id. */
  create(kind: ActionKind, destination: string | null, items: readonly NewActionItem[], now = Date.now()): number {
    const info = this.db.prepare('INSERT INTO dedupe_actions (kind, destination, created_at) VALUES (?, ?, ?)').run(kind, destination, now);
    const id = Number(info.lastInsertRowid);
    const insert = this.db.prepare(
      `INSERT INTO dedupe_action_items (action_id, seq, item_id, collection_id, path, hash, size, mtime_ms, width, height, format,
         model_id, dim, vector, status)
       VALUES (@actionId, @seq, @itemId, @collectionId, @path, @hash, @size, @mtimeMs, @width, @height, @format, @modelId, @dim, @vector, 'pending')`,
    );
    items.forEach((item, seq) => insert.run({ ...item, actionId: id, seq }));
    return id;
  }

  get(id: number): ActionRow | undefined {
    const r = this.db.prepare('SELECT * FROM dedupe_actions WHERE id = ?').get(id) as RawAction | undefined;
    return r && toAction(r);
  }

  /** The most recent action not undone yet. */
  lastUndoable(): ActionRow | undefined {
    const r = this.db.prepare('SELECT * FROM dedupe_actions WHERE undone_at IS NULL ORDER BY id DESC LIMIT 1').get() as RawAction | undefined;
    return r && toAction(r);
  }

  /** The newest actions first. */
  list(limit = 100): ActionListRow[] {
    const rows = this.db
      .prepare(
        `SELECT a.*, COUNT(i.seq) AS items, COUNT(CASE WHEN i.status = 'done' THEN 1 END) AS done
         FROM dedupe_actions a LEFT JOIN dedupe_action_items i ON i.action_id = a.id
         GROUP BY a.id ORDER BY a.id DESC LIMIT ?`,
      )
      .all(limit) as (RawAction & { items: number; done: number })[];
    return rows.map((r) => ({ ...toAction(r), items: r.items, done: r.done }));
  }

  items(actionId: number): ActionItemRow[] {
    const rows = this.db.prepare('SELECT * FROM dedupe_action_items WHERE action_id = ? ORDER BY seq').all(actionId) as {
      seq: number;
      item_id: number;
      collection_id: number;
      path: string;
      destination: string | null;
      hash: Buffer;
      size: number;
      mtime_ms: number;
      width: number | null;
      height: number | null;
      format: string | null;
      model_id: string | null;
      dim: number | null;
      vector: Buffer | null;
      status: ActionItemStatus;
      message: string | null;
      started_at: number | null;
      ended_at: number | null;
    }[];
    return rows.map((r) => ({
      seq: r.seq,
      itemId: r.item_id,
      collectionId: r.collection_id,
      path: r.path,
      destination: r.destination,
      hash: r.hash,
      size: r.size,
      mtimeMs: r.mtime_ms,
      width: r.width,
      height: r.height,
      format: r.format,
      modelId: r.model_id,
      dim: r.dim,
      vector: r.vector,
      status: r.status,
      message: r.message,
      startedAt: r.started_at,
      endedAt: r.ended_at,
    }));
  }

  /** Marks the start of one item's file operation (the window the trash's deletion time falls in). */
  started(actionId: number, seq: number, now = Date.now()): void {
    this.db.prepare('UPDATE dedupe_action_items SET started_at = ? WHERE action_id = ? AND seq = ?').run(now, actionId, seq);
  }

  setItem(
    actionId: number,
    seq: number,
    change: { status: ActionItemStatus; message?: string | null; destination?: string | null; itemId?: number },
    now = Date.now(),
  ): void {
    this.db
      .prepare(
        `UPDATE dedupe_action_items SET status = @status, message = @message, ended_at = @now,
           destination = COALESCE(@destination, destination), item_id = COALESCE(@itemId, item_id)
         WHERE action_id = @actionId AND seq = @seq`,
      )
      .run({ actionId, seq, status: change.status, message: change.message ?? null, destination: change.destination ?? null, itemId: change.itemId ?? null, now });
  }

  finish(actionId: number, now = Date.now()): void {
    this.db.prepare('UPDATE dedupe_actions SET finished_at = ? WHERE id = ?').run(now, actionId);
  }

  markUndone(actionId: number, now = Date.now()): void {
    this.db.prepare('UPDATE dedupe_actions SET undone_at = ? WHERE id = ?').run(now, actionId);
  }

  /** Remembers that no two of these contents are duplicates of each other. @returns the pairs recorded. */
  addNotDuplicates(actionId: number, hashes: readonly Buffer[]): number {
    const insert = this.db.prepare('INSERT OR IGNORE INTO not_duplicates (hash_a, hash_b, action_id) VALUES (?, ?, ?)');
    let n = 0;
    for (let i = 0; i < hashes.length; i++) {
      for (let j = i + 1; j < hashes.length; j++) {
        const [a, b] = orderedPair(hashes[i]!, hashes[j]!);
        n += insert.run(a, b, actionId).changes;
      }
    }
    return n;
  }

  removeNotDuplicates(actionId: number): number {
    return this.db.prepare('DELETE FROM not_duplicates WHERE action_id = ?').run(actionId).changes;
  }

  /** Every remembered pair, as `hexA:hexB` keys with hexA <= hexB. */
  notDuplicateKeys(): Set<string> {
    const rows = this.db.prepare('SELECT DISTINCT hash_a, hash_b FROM not_duplicates').all() as { hash_a: Buffer; hash_b: Buffer }[];
    return new Set(rows.map((r) => `${r.hash_a.toString('hex')}:${r.hash_b.toString('hex')}`));
  }
}

/** The key notDuplicateKeys() uses for a pair of contents. */
export function pairKey(a: Buffer, b: Buffer): string {
  const [x, y] = orderedPair(a, b);
  return `${x.toString('hex')}:${y.toString('hex')}`;
}
