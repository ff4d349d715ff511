/**
 * "Which of our products does the competitor have, and which not?" For each item of our collection, its best
 * matches in theirs with a verdict: `same` (a copy of our photo, or another shot so close that it can only be the
 * product), `similar` (a lookalike), or no match; optionally one-to-one; with the two gap lists. Decisions the
 * user takes on a pair (accept / reject) are kept by content hash and win over the computed verdict.
 */
import { writeFile } from 'node:fs/promises';
import { AppError } from '../../shared/errors.js';
import type { ItemRecord } from '../catalog/items.repo.js';
import type { Catalog } from '../catalog/catalog.js';
import { prepareSignature } from '../images/phash.js';
import type { Logger } from '../logger.js';
import type { ModelState } from '../model-state.js';
import { decodeF16 } from '../vectors/f16.js';
import { loadScope, requireScopeItems, toContents, type Contents, type ScopeItem } from '../dedupe/catalog-view.js';
import { DEFAULT_DUPES_THRESHOLD } from '../dedupe/dedupe.service.js';
import { findNearDuplicates, type CandidateStats } from '../dedupe/near-duplicates.js';
import type { SignatureStore } from '../dedupe/signature-store.js';
import { assignOneToOne } from './assign.js';
import { toCsv } from './csv.js';
import { BUILTIN_THRESHOLDS, calibrateFromNeighbours, verdictOf, type MatchThresholds, type Verdict } from './thresholds.js';

export type MatchDecision = 'accepted' | 'rejected';

export interface MatchHit {
  item: ItemRecord;
  /** Cosine similarity of the embeddings. */
  score: number;
  verdict: Verdict;
  decision: MatchDecision | null;
  /** Detail agreement of the pictures (0..1) when they line up as copies, else null. */
  agreement: number | null;
}

export interface MatchRow {
  ours: ItemRecord;
  matches: MatchHit[];
}

export interface MatchOptions {
  ours: string;
  theirs: string;
  /** Matches kept per item of ours (default 5). */
  k?: number;
  oneToOne?: boolean;
  signal?: AbortSignal;
}

export interface MatchResult {
  rows: MatchRow[];
  unmatchedOurs: ItemRecord[];
  unmatchedTheirs: ItemRecord[];
  thresholds: MatchThresholds;
  seconds: number;
  stats: CandidateStats;
}

export interface MatchServiceDeps {
  catalog: Catalog;
  model: ModelState;
  logger: Logger;
  signatures: SignatureStore;
}

/** Items sampled to calibrate a model without built-in thresholds. */
const CALIBRATION_SAMPLE = 500;

interface PairInfo {
  ours: number;
  theirs: number;
  score: number;
  agreement: number | null;
  verdict: Verdict;
  decision: MatchDecision | null;
}

const record = (i: ScopeItem): ItemRecord => ({
  id: i.id,
  collectionId: i.collectionId,
  collection: i.collection,
  path: i.path,
  size: i.size,
  mtimeMs: i.mtimeMs,
  width: i.width,
  height: i.height,
  format: i.format,
  product: i.product ?? null,
});

function cosine(a: Buffer, b: Buffer): number {
  const x = decodeF16(a);
  const y = decodeF16(b);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/** Best first: the user's acceptance, then `same` before `similar`, then picture agreement, then cosine. */
function comparePairs(a: PairInfo, b: PairInfo): number {
  const rank = (p: PairInfo) => (p.decision === 'accepted' ? 0 : p.decision === 'rejected' ? 3 : p.verdict === 'same' ? 1 : 2);
  return rank(a) - rank(b) || (b.agreement ?? -1) - (a.agreement ?? -1) || b.score - a.score;
}

export class MatchService {
  constructor(private readonly deps: MatchServiceDeps) {}

  /**
   * Matches every item of `ours` against `theirs`.
   * @throws AppError COLLECTION_NOT_FOUND, INVALID_INPUT (the same collection twice), CANCELLED
   */
  async run(options: MatchOptions): Promise<MatchResult> {
    const started = performance.now();
    const { catalog } = this.deps;
    if (options.ours === options.theirs) throw new AppError('INVALID_INPUT', 'Match two different collections (for one collection use dupes).');
    const oursC = catalog.collections.require(options.ours);
    const theirsC = catalog.collections.require(options.theirs);
    const k = options.k ?? 5;
    const ours = toContents(loadScope(catalog, [oursC.id]));
    const theirs = toContents(loadScope(catalog, [theirsC.id]));
    await this.sign(ours, options.signal);
    await this.sign(theirs, options.signal);

    const vectors = this.deps.model.vectors();
    const search = (cid: typeof oursC.id) => (query: Float32Array, n: number) => (vectors ? vectors.search([cid], query, n) : []);
    const embeddingHits = new Map<number, readonly { target: number; score: number }[]>();
    const { pairs: verified, stats } = await findNearDuplicates(ours.pictures, theirs.pictures, search(theirsC.id), {
      same: false,
      accept: DEFAULT_DUPES_THRESHOLD,
      ...(options.signal ? { signal: options.signal } : {}),
      onEmbeddingHits: (q, hits) => embeddingHits.set(q, hits),
    });
    const copies = new Map<number, Set<number>>();
    for (const v of verified) {
      for (const a of ours.pictures[v.query]!.itemIds) {
        for (const b of theirs.pictures[v.target]!.itemIds) {
          copies.set(a, (copies.get(a) ?? new Set()).add(b));
          copies.set(b, (copies.get(b) ?? new Set()).add(a));
        }
      }
    }
    const thresholds = this.thresholds(ours, theirs, copies);

    // Every qualifying pair of contents: verified copies, identical files, and embedding neighbours above `similar`.
    const theirsByHash = new Map(theirs.items.map((list, i) => [list[0]!.hash.toString('hex'), i]));
    const byOurs = new Map<number, Map<number, { score: number; agreement: number | null }>>();
    const note = (o: number, t: number, score: number, agreement: number | null) => {
      let m = byOurs.get(o);
      if (!m) byOurs.set(o, (m = new Map()));
      const had = m.get(t);
      if (!had || (agreement ?? -1) > (had.agreement ?? -1)) m.set(t, { score, agreement: agreement ?? had?.agreement ?? null });
    };
    ours.items.forEach((list, o) => {
      const t = theirsByHash.get(list[0]!.hash.toString('hex'));
      if (t !== undefined) note(o, t, 1, 1);
      for (const h of embeddingHits.get(o) ?? []) if (h.score >= thresholds.similar) note(o, h.target, h.score, null);
    });
    for (const v of verified) {
      const score = embeddingHits.get(v.query)?.find((h) => h.target === v.target)?.score ?? cosine(ours.pictures[v.query]!.vector, theirs.pictures[v.target]!.vector);
      note(v.query, v.target, score, v.agreement);
    }
    const decisions = this.loadDecisions(ours, theirs, byOurs);
    const all: PairInfo[] = [];
    for (const [o, m] of byOurs) {
      for (const [t, info] of m) {
        const verdict = verdictOf(info.score, info.agreement !== null, thresholds);
        const decision = decisions.get(`${o}:${t}`) ?? null;
        // An accepted pair is a match whatever the numbers say.
        const effective = verdict ?? (decision === 'accepted' ? 'similar' : null);
        if (effective) all.push({ ours: o, theirs: t, score: info.score, agreement: info.agreement, verdict: effective, decision });
      }
    }
    all.sort(comparePairs);
    const kept = options.oneToOne ? assignOneToOne(all.filter((p) => p.decision !== 'rejected')) : all;
    const perOurs = new Map<number, PairInfo[]>();
    for (const p of kept) {
      const list = perOurs.get(p.ours) ?? [];
      if (list.length < k) list.push(p);
      perOurs.set(p.ours, list);
    }

    // Gap lists: ours without any (non-rejected) match; theirs that no item of ours matches, looking from their
    // side too (a lookalike of ours may sit outside every one of our items' neighbour lists).
    const theirsMatched = new Set(kept.filter((p) => p.decision !== 'rejected').map((p) => p.theirs));
    if (!options.oneToOne && vectors) {
      theirs.pictures.forEach((p, t) => {
        if (theirsMatched.has(t)) return;
        const [best] = vectors.search([oursC.id], decodeF16(p.vector), 1);
        if (best && best.score >= thresholds.similar) theirsMatched.add(t);
      });
    }
    const rows: MatchRow[] = [];
    const unmatchedOurs: ItemRecord[] = [];
    ours.items.forEach((list, o) => {
      const matches = (perOurs.get(o) ?? []).flatMap((p) =>
        theirs.items[p.theirs]!.map((item) => ({ item: record(item), score: p.score, verdict: p.verdict, decision: p.decision, agreement: p.agreement })),
      );
      for (const item of list) {
        rows.push({ ours: record(item), matches: matches.slice(0, k) });
        if (!matches.some((m) => m.decision !== 'rejected')) unmatchedOurs.push(record(item));
      }
    });
    rows.sort((a, b) => a.ours.path.localeCompare(b.ours.path));
    const unmatchedTheirs = theirs.items.flatMap((list, t) => (theirsMatched.has(t) ? [] : list.map(record)));
    unmatchedOurs.sort((a, b) => a.path.localeCompare(b.path));
    unmatchedTheirs.sort((a, b) => a.path.localeCompare(b.path));
    return { rows, unmatchedOurs, unmatchedTheirs, thresholds, seconds: (performance.now() - started) / 1000, stats };
  }

  /**
   * Records (or with null, forgets) the user's decision on a pair; kept by content, so it survives rescans.
   * @throws AppError ITEM_NOT_FOUND
   */
  setDecision(oursId: number, theirsId: number, decision: MatchDecision | null): MatchDecision | null {
    const [ours, theirs] = requireScopeItems(this.deps.catalog, [oursId, theirsId]);
    if (!ours || !theirs) throw new AppError('INVALID_INPUT', 'A match needs two different items.');
    const db = this.deps.catalog.db;
    if (decision === null) db.prepare('DELETE FROM match_decisions WHERE ours_hash = ? AND theirs_hash = ?').run(ours.hash, theirs.hash);
    else
      db.prepare(
        `INSERT INTO match_decisions (ours_hash, theirs_hash, decision, decided_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (ours_hash, theirs_hash) DO UPDATE SET decision = excluded.decision, decided_at = excluded.decided_at`,
      ).run(ours.hash, theirs.hash, decision, Date.now());
    return decision;
  }

  /**
   * The match as CSV (one row per match, an empty match for items of ours without one, then the items of theirs
   * that match nothing), written to `path` when given.
   * @throws as run(); PERMISSION_DENIED / DISK_FULL when the file cannot be written
   */
  async exportCsv(options: MatchOptions & { path?: string }): Promise<{ csv?: string; path?: string; rows: number }> {
    const result = await this.run(options);
    const csv = matchCsv(result);
    const rows = csv.split('\r\n').length - 2;
    if (!options.path) return { csv, rows };
    try {
      await writeFile(options.path, csv, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new AppError(code === 'ENOSPC' ? 'DISK_FULL' : 'PERMISSION_DENIED', `Cannot write ${options.path}.`, { cause: err });
    }
    return { path: options.path, rows };
  }

  private async sign(contents: Contents, signal: AbortSignal | undefined): Promise<void> {
    const { signatures: sigs } = await this.deps.signatures.ensure(
      contents.items.map((list) => ({ hash: list[0]!.hash, path: list[0]!.path })),
      signal ? { signal } : {},
    );
    if (signal?.aborted) throw new AppError('CANCELLED', 'Cancelled.');
    contents.pictures.forEach((p, i) => {
      const sig = sigs.get(contents.items[i]![0]!.hash.toString('hex'));
      p.signature = sig ? prepareSignature(sig) : undefined;
    });
  }

  /**
   * Built-in thresholds for a calibrated model, else thresholds measured on this catalog: the cosine of sampled
   * items' nearest neighbour that is neither the same content nor a verified copy (`copies`, by item id).
   */
  private thresholds(ours: Contents, theirs: Contents, copies: ReadonlyMap<number, ReadonlySet<number>>): MatchThresholds {
    const modelId = this.deps.catalog.meta.get('embedder_id') ?? this.deps.model.modelId;
    const builtin = BUILTIN_THRESHOLDS[modelId];
    if (builtin) return { ...builtin, modelId, source: 'builtin' };
    const vectors = this.deps.model.vectors();
    const pool = [...ours.items, ...theirs.items];
    const collections = [...new Set(pool.map((l) => l[0]!.collectionId))];
    const scores: number[] = [];
    const step = Math.max(1, Math.floor(pool.length / CALIBRATION_SAMPLE));
    for (let i = 0; i < pool.length && vectors; i += step) {
      const same = new Set(pool[i]!.map((x) => x.id as number));
      const item = pool[i]![0]!;
      const other = vectors
        .search(collections, decodeF16(item.vector), 8)
        .find((h) => !same.has(h.id) && !copies.get(item.id)?.has(h.id) && h.score < 0.99999);
      if (other) scores.push(other.score);
    }
    if (scores.length === 0) return { same: 1, similar: 1, modelId, source: 'catalog' };
    const t = calibrateFromNeighbours(scores);
    this.deps.logger.info('match thresholds calibrated on this catalog (no built-in calibration for this model)', { modelId, ...t, samples: scores.length });
    return { ...t, modelId, source: 'catalog' };
  }

  private loadDecisions(ours: Contents, theirs: Contents, pairs: Map<number, Map<number, unknown>>): Map<string, MatchDecision> {
    const out = new Map<string, MatchDecision>();
    const stmt = this.deps.catalog.db.prepare('SELECT decision FROM match_decisions WHERE ours_hash = ? AND theirs_hash = ?').pluck();
    for (const [o, m] of pairs) {
      for (const t of m.keys()) {
        const d = stmt.get(ours.items[o]![0]!.hash, theirs.items[t]![0]!.hash) as MatchDecision | undefined;
        if (d) out.set(`${o}:${t}`, d);
      }
    }
    return out;
  }
}

/** What the CSV shows of an item. */
type CsvItem = Pick<ItemRecord, 'path' | 'width' | 'height' | 'format' | 'size'>;

/** The CSV of a match result (see MatchService.exportCsv). */
export function matchCsv(result: {
  rows: readonly { ours: CsvItem; matches: readonly { item: CsvItem; score: number; verdict: Verdict; decision: MatchDecision | null }[] }[];
  unmatchedTheirs: readonly CsvItem[];
}): string {
  const header = [
    'ours_path',
    'ours_width',
    'ours_height',
    'ours_format',
    'ours_bytes',
    'theirs_path',
    'theirs_width',
    'theirs_height',
    'theirs_format',
    'theirs_bytes',
    'score',
    'verdict',
    'decision',
  ];
  const side = (i: CsvItem | undefined) => (i ? [i.path, i.width, i.height, i.format, i.size] : [null, null, null, null, null]);
  const rows: (string | number | null)[][] = [];
  for (const r of result.rows) {
    const matches = r.matches.filter((m) => m.decision !== 'rejected');
    if (matches.length === 0) rows.push([...side(r.ours), ...side(undefined), null, 'none', null]);
    for (const m of matches) rows.push([...side(r.ours), ...side(m.item), Math.round(m.score * 1e6) / 1e6, m.verdict, m.decision]);
  }
  for (const t of result.unmatchedTheirs) rows.push([...side(undefined), ...side(t), null, 'none', null]);
  return toCsv(header, rows);
}
