/**
 * "Which of our products does the competitor have, and which not?" For each item of our collection, its best
 * matches in theirs with a verdict: `same` (a copy of our photo, or another shot so close that it can only be the
 * product), `similar` (a lookalike), or no match; optionally one-to-one; with the two gap lists. Decisions the
 * user takes on a pair (accept / reject) are kept by content hash and win over the computed verdict.
 */
import { AppError } from '../../shared/errors.js';
import type { ItemRecord } from '../catalog/items.repo.js';
import type { Catalog } from '../catalog/catalog.js';
import type { MatchDecision } from '../catalog/match-decisions.repo.js';
import { prepareSignatures } from '../images/signature-arena.js';
import type { Logger } from '../base/logger.js';
import type { ModelState } from '../models/model-state.js';
import type { VectorStore } from '../vectors/vector-store.js';
import { decodeF16 } from '../base/f16.js';
import { loadScope, requireScopeItems, toContents, type Contents, type ScopeItem } from '../dedupe/catalog-view.js';
import { DEFAULT_DUPES_THRESHOLD } from '../dedupe/duplicate-groups.js';
import { embeddingNeighboursIn, findNearDuplicates, type CandidateStats, type VerificationThreads } from '../dedupe/near-duplicates.js';
import { reviewCandidates } from '../dedupe/review-candidates.js';
import type { SignatureStore } from '../dedupe/signature-store.js';
import { assignOneToOne } from './assign.js';
import { toCsv, type CsvCell } from './csv.js';
import { BUILTIN_THRESHOLDS, calibrateFromNeighbours, verdictOf as thresholdVerdict, type MatchThresholds, type Verdict } from './thresholds.js';
import { verdictOf, type Calibration } from '../vectors/calibration.js';

export type { MatchDecision };

export interface MatchHit {
  item: ItemRecord;
  /** Cosine similarity of the embeddings. */
  score: number;
  verdict: Verdict;
  /** The calibrated chance that the pair is the same product (null: the model has no calibration). */
  confidence: number | null;
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
  verification?: VerificationThreads;
}

/** Items sampled to calibrate a model without built-in thresholds. */
const CALIBRATION_SAMPLE = 500;

interface PairInfo {
  ours: number;
  theirs: number;
  score: number;
  agreement: number | null;
  verdict: Verdict;
  confidence: number | null;
  decision: MatchDecision | null;
}

const baseRecord = (i: ScopeItem): ItemRecord => ({
  id: i.id,
  collectionId: i.collectionId,
  collection: i.collection,
  path: i.path,
  size: i.size,
  mtimeMs: i.mtimeMs,
  width: i.width,
  height: i.height,
  format: i.format,
});

/**
 * Cosines of the model's own embeddings, whatever transform (centring, whitening) the search index applies: the
 * thresholds are calibrated in this space, so a verdict does not move when the folder's whitening is re-learned.
 * Recently decoded vectors are kept (a bounded cache: a catalog's vectors decoded at once would take ~11 KB each).
 */
class RawCosine {
  private readonly decoded = new Map<Buffer, Float32Array>();

  of(a: Buffer, b: Buffer): number {
    const x = this.vector(a);
    const y = this.vector(b);
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
    return s;
  }

  vector(bytes: Buffer): Float32Array {
    let v = this.decoded.get(bytes);
    if (!v) {
      if (this.decoded.size >= 4096) this.decoded.clear();
      this.decoded.set(bytes, (v = decodeF16(bytes)));
    }
    return v;
  }
}

/**
 * Cosines in the index's space (the folder's transform applied), where a calibration measures its verdicts;
 * transformed vectors are kept in a bounded cache as RawCosine keeps decoded ones.
 */
class SpaceCosine {
  private readonly prepared = new Map<Buffer, Float32Array>();
  constructor(private readonly vectors: VectorStore | undefined) {}

  of(a: Buffer, b: Buffer): number {
    const x = this.vector(a);
    const y = this.vector(b);
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
    return s;
  }

  /**
   * Transforms these vectors in one bulk product (a PCA-whitening applied one by one costs ~1–5 ms per vector; in
   * bulk ~50× less), so that the pairs about to be scored find them ready.
   */
  async warm(all: readonly Buffer[]): Promise<void> {
    if (!this.vectors) return;
    const todo = [...new Set(all)].filter((b) => !this.prepared.has(b)).slice(0, 4096);
    if (todo.length === 0) return;
    const dim = todo[0]!.length / 2;
    const raws = new Float32Array(todo.length * dim);
    todo.forEach((b, i) => decodeF16(b, raws, i * dim));
    const out = await this.vectors.prepareMany(raws, todo.length);
    const d = this.vectors.dimensions;
    if (this.prepared.size + todo.length > 4096) this.prepared.clear();
    todo.forEach((b, i) => this.prepared.set(b, out.slice(i * d, (i + 1) * d)));
  }

  private vector(bytes: Buffer): Float32Array {
    let v = this.prepared.get(bytes);
    if (!v) {
      if (this.prepared.size >= 4096) this.prepared.clear();
      const raw = decodeF16(bytes);
      this.prepared.set(bytes, (v = this.vectors ? this.vectors.prepare(raw) : raw));
    }
    return v;
  }
}

/** A candidate's verdict: calibrated (score, margin over the item's other candidates, copy) or by thresholds. */
function judgePair(
  info: { score: number; agreement: number | null },
  target: number,
  candidates: ReadonlyMap<number, { score: number }>,
  calibration: Calibration | undefined,
  thresholds: MatchThresholds,
): { verdict: Verdict | null; confidence: number | null } {
  if (!calibration) return { verdict: thresholdVerdict(info.score, info.agreement !== null, thresholds), confidence: null };
  let other: number | undefined;
  for (const [t, c] of candidates) if (t !== target && (other === undefined || c.score > other)) other = c.score;
  // Local-feature verification (issue 16) confirms `same` by adding `inliers` for each item's best candidate.
  const r = verdictOf({ score: info.score, ...(other === undefined ? {} : { margin: info.score - other }), copy: info.agreement !== null }, calibration);
  return { verdict: r.verdict === 'different' ? null : r.verdict, confidence: r.confidence };
}

/** Best first: the user's acceptance, then `same` before `similar`, then picture agreement, then cosine. */
function comparePairs(a: PairInfo, b: PairInfo): number {
  const rank = (p: PairInfo) => (p.decision === 'accepted' ? 0 : p.decision === 'rejected' ? 3 : p.verdict === 'same' ? 1 : 2);
  return rank(a) - rank(b) || (b.agreement ?? -1) - (a.agreement ?? -1) || b.score - a.score;
}

/** Matching one collection against another, decisions and CSV export, over one catalog. */
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
    // Imported product data (SKU, title, price...) travels with every item shown.
    const products = catalog.products.forItems([...ours.items, ...theirs.items].flat().map((i) => i.id));
    const record = (i: ScopeItem): ItemRecord => ({ ...baseRecord(i), product: products.get(i.id) ?? null });

    const vectors = this.deps.model.vectors();
    const embeddingHits = new Map<number, readonly { target: number; score: number }[]>();
    const neighbours = embeddingNeighboursIn(vectors, [theirsC.id]);
    const { pairs: signed, open, stats } = await findNearDuplicates(ours.pictures, theirs.pictures, neighbours, {
      same: false,
      accept: DEFAULT_DUPES_THRESHOLD,
      ...(this.deps.verification ? { verification: this.deps.verification } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onEmbeddingHits: (q, hits) => embeddingHits.set(q, hits),
    });
    // The same second look as dupes (dedupe/review-candidates.ts): a copy the signatures cannot line up (turned,
    // inside a page screenshot, a tight crop) is confirmed by local features; a pair sharing only a page template,
    // a background or one product in another colour loses its "verified copy" standing.
    const reviewed = await reviewCandidates(ours, theirs, signed, open, { logger: this.deps.logger, ...(options.signal ? { signal: options.signal } : {}) });
    const verified = reviewed.accepted.map((p) => ({ query: p.a, target: p.b, agreement: p.similarity }));
    const raw = new RawCosine();
    // With a calibration (vectors/calibration.ts), verdicts come from the cosine in the index's space and the
    // margin over the item's next candidate; without one, from the model's raw-cosine thresholds (thresholds.ts).
    const calibration = vectors ? this.deps.model.calibration() : undefined;
    const thresholds = this.thresholds(ours, theirs, verified, raw, calibration);
    const spaced = new SpaceCosine(vectors);

    // Every qualifying pair of contents: verified copies, identical files, and embedding neighbours above `similar`.
    const theirsByHash = new Map(theirs.items.map((list, i) => [list[0]!.hash.toString('hex'), i]));
    const byOurs = new Map<number, Map<number, { score: number; agreement: number | null }>>();
    const note = (o: number, t: number, score: number, agreement: number | null) => {
      let m = byOurs.get(o);
      if (!m) byOurs.set(o, (m = new Map()));
      const had = m.get(t);
      if (!had || (agreement ?? -1) > (had.agreement ?? -1)) m.set(t, { score, agreement: agreement ?? had?.agreement ?? null });
    };
    const cosine = calibration
      ? (o: number, t: number) => spaced.of(ours.pictures[o]!.vector, theirs.pictures[t]!.vector)
      : (o: number, t: number) => raw.of(ours.pictures[o]!.vector, theirs.pictures[t]!.vector);
    ours.items.forEach((list, o) => {
      const t = theirsByHash.get(list[0]!.hash.toString('hex'));
      if (t !== undefined) note(o, t, 1, 1);
      for (const h of embeddingHits.get(o) ?? []) {
        // Calibrated: every neighbour is kept, as the margin of the best one over the others is evidence.
        if (calibration) note(o, h.target, h.score, null);
        else {
          const score = cosine(o, h.target);
          if (score >= thresholds.similar) note(o, h.target, score, null);
        }
      }
    });
    if (calibration) await spaced.warm(verified.flatMap((v) => [ours.pictures[v.query]!.vector, theirs.pictures[v.target]!.vector]));
    for (const v of verified) note(v.query, v.target, cosine(v.query, v.target), v.agreement);
    // A pair the user accepted stays listed even when it is no longer among the candidates (scores change with
    // the model or the catalog; the user's word does not).
    const oursByHash = new Map(ours.items.map((list, i) => [list[0]!.hash.toString('hex'), i]));
    for (const d of catalog.matchDecisions.accepted()) {
      const o = oursByHash.get(d.oursHash.toString('hex'));
      const t = theirsByHash.get(d.theirsHash.toString('hex'));
      if (o !== undefined && t !== undefined && !byOurs.get(o)?.has(t)) note(o, t, cosine(o, t), null);
    }
    const decisions = this.loadDecisions(ours, theirs, byOurs);
    const all: PairInfo[] = [];
    for (const [o, m] of byOurs) {
      for (const [t, info] of m) {
        const judged = judgePair(info, t, m, calibration, thresholds);
        const decision = decisions.get(`${o}:${t}`) ?? null;
        // An accepted pair is a match whatever the numbers say.
        const effective = judged.verdict ?? (decision === 'accepted' ? 'similar' : null);
        if (effective) all.push({ ours: o, theirs: t, score: info.score, agreement: info.agreement, verdict: effective, confidence: judged.confidence, decision });
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

    // Gap lists, by "same product" only (a lookalike is not the product: the competitor still lacks ours): ours
    // without a (non-rejected) same match; theirs that no item of ours is the same product as, looking from their
    // side too (ours may sit outside every one of our items' neighbour lists).
    const isCounterpart = (p: PairInfo) => p.decision === 'accepted' || (p.decision !== 'rejected' && p.verdict === 'same');
    const theirsMatched = new Set(kept.filter(isCounterpart).map((p) => p.theirs));
    if (!options.oneToOne && vectors) {
      const oursOfItem = new Map(ours.pictures.flatMap((p, o) => p.itemIds.map((id) => [id, o] as const)));
      theirs.pictures.forEach((p, t) => {
        if (theirsMatched.has(t)) return;
        const [best, second] = vectors.search([oursC.id], raw.vector(p.vector), 2);
        const o = best && oursOfItem.get(best.id);
        if (o === undefined || !best) return;
        const same = calibration
          ? verdictOf({ score: best.score, ...(second ? { margin: best.score - second.score } : {}) }, calibration).verdict === 'same'
          : cosine(o, t) >= thresholds.same;
        if (same) theirsMatched.add(t);
      });
    }
    const rows: MatchRow[] = [];
    const unmatchedOurs: ItemRecord[] = [];
    ours.items.forEach((list, o) => {
      const matches = (perOurs.get(o) ?? []).flatMap((p) =>
        theirs.items[p.theirs]!.map((item) => ({
          item: record(item),
          score: p.score,
          verdict: p.verdict,
          confidence: p.confidence,
          decision: p.decision,
          agreement: p.agreement,
        })),
      );
      for (const item of list) {
        rows.push({ ours: record(item), matches: matches.slice(0, k) });
        if (!matches.some((m) => m.decision === 'accepted' || (m.decision !== 'rejected' && m.verdict === 'same'))) unmatchedOurs.push(record(item));
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
    this.deps.catalog.matchDecisions.set(ours.hash, theirs.hash, decision);
    return decision;
  }

  /**
   * The match as CSV text: one row per match, a row with an empty match for each item of ours without one, then
   * the items of theirs that match nothing (see matchCsv).
   * @throws as run()
   */
  async exportCsv(options: MatchOptions): Promise<{ csv: string; rows: number }> {
    const csv = matchCsv(await this.run(options));
    // Lines end with CRLF, the last one too: header + rows + the empty remainder.
    return { csv, rows: csv.split('\r\n').length - 2 };
  }

  private async sign(contents: Contents, signal: AbortSignal | undefined): Promise<void> {
    const { signatures: sigs } = await this.deps.signatures.ensure(
      contents.items.map((list) => ({ hash: list[0]!.hash, path: list[0]!.path })),
      signal ? { signal } : {},
    );
    if (signal?.aborted) throw new AppError('CANCELLED', 'Cancelled.');
    // In shared memory, so that the verification's worker threads view them rather than copy them.
    const { prepared } = prepareSignatures(contents.items.map((list) => sigs.get(list[0]!.hash.toString('hex'))));
    contents.pictures.forEach((p, i) => {
      p.signature = prepared[i];
    });
  }

  /**
   * Built-in thresholds for a calibrated model, else thresholds measured on this catalog: the cosine of sampled
   * items' nearest neighbour that is neither the same content nor a verified copy.
   */
  private thresholds(ours: Contents, theirs: Contents, verified: readonly { query: number; target: number }[], raw: RawCosine, calibration: Calibration | undefined): MatchThresholds {
    const modelId = this.deps.catalog.meta.get('embedder_id') ?? this.deps.model.modelId;
    const builtin = BUILTIN_THRESHOLDS[modelId];
    const calibrated = calibration
      ? { calibration: { same: calibration.same, similar: calibration.similar, source: calibration.source, precision: calibration.precision } }
      : { calibration: null };
    if (builtin) return { ...builtin, modelId, source: 'builtin', ...calibrated };
    if (calibration) return { same: 1, similar: 1, modelId, source: 'builtin', ...calibrated };
    const copies = new Map<number, Set<number>>();
    for (const v of verified) {
      for (const a of ours.pictures[v.query]!.itemIds) {
        for (const b of theirs.pictures[v.target]!.itemIds) {
          copies.set(a, (copies.get(a) ?? new Set()).add(b));
          copies.set(b, (copies.get(b) ?? new Set()).add(a));
        }
      }
    }
    const vectors = this.deps.model.vectors();
    const pool = [...ours.items, ...theirs.items];
    const byId = new Map(pool.flat().map((i) => [i.id as number, i]));
    const collections = [...new Set(pool.map((l) => l[0]!.collectionId))];
    const scores: number[] = [];
    const step = Math.max(1, Math.floor(pool.length / CALIBRATION_SAMPLE));
    for (let i = 0; i < pool.length && vectors; i += step) {
      const same = new Set(pool[i]!.map((x) => x.id as number));
      const item = pool[i]![0]!;
      const other = vectors
        .search(collections, raw.vector(item.vector), 8)
        .map((h) => byId.get(h.id))
        .find((x) => x !== undefined && !same.has(x.id) && !copies.get(item.id)?.has(x.id) && !x.hash.equals(item.hash));
      if (other) scores.push(raw.of(item.vector, other.vector));
    }
    if (scores.length === 0) return { same: 1, similar: 1, modelId, source: 'catalog', calibration: null };
    const t = calibrateFromNeighbours(scores);
    this.deps.logger.info('match thresholds calibrated on this catalog (no built-in calibration for this model)', { modelId, ...t, samples: scores.length });
    return { ...t, modelId, source: 'catalog', calibration: null };
  }

  private loadDecisions(ours: Contents, theirs: Contents, pairs: Map<number, Map<number, unknown>>): Map<string, MatchDecision> {
    const out = new Map<string, MatchDecision>();
    const decisionOf = this.deps.catalog.matchDecisions.lookup();
    for (const [o, m] of pairs) {
      for (const t of m.keys()) {
        const d = decisionOf(ours.items[o]![0]!.hash, theirs.items[t]![0]!.hash);
        if (d) out.set(`${o}:${t}`, d);
      }
    }
    return out;
  }
}

/** What the CSV shows of an item. */
type CsvItem = Pick<ItemRecord, 'path' | 'width' | 'height' | 'format' | 'size' | 'product'>;

/** The CSV of a match result (see MatchService.exportCsv). */
export function matchCsv(result: {
  rows: readonly { ours: CsvItem; matches: readonly { item: CsvItem; score: number; verdict: Verdict; confidence?: number | null; decision: MatchDecision | null }[] }[];
  unmatchedTheirs: readonly CsvItem[];
}): string {
  const fields = ['path', 'width', 'height', 'format', 'bytes', 'sku', 'title', 'brand', 'price', 'currency', 'url'];
  // `confidence` (the chance of "same product", 0..1) last, so that columns a sheet already reads keep their place.
  const header = [...fields.map((f) => `ours_${f}`), ...fields.map((f) => `theirs_${f}`), 'score', 'verdict', 'decision', 'confidence'];
  const side = (i: CsvItem | undefined) => {
    const p = i?.product;
    return i ? [i.path, i.width, i.height, i.format, i.size, p?.sku, p?.title, p?.brand, p?.price, p?.currency, p?.url] : fields.map(() => null);
  };
  const rows: CsvCell[][] = [];
  for (const r of result.rows) {
    // A rejected pair is a decision the buyer of the CSV needs too (why a likely match is not there): it is written
    // with `rejected` in the decision column rather than left out.
    if (r.matches.length === 0) rows.push([...side(r.ours), ...side(undefined), null, 'none', null, null]);
    for (const m of r.matches) {
      const confidence = m.confidence === undefined || m.confidence === null ? null : Math.round(m.confidence * 1000) / 1000;
      rows.push([...side(r.ours), ...side(m.item), Math.round(m.score * 1e6) / 1e6, m.verdict, m.decision, confidence]);
    }
  }
  for (const t of result.unmatchedTheirs) rows.push([...side(undefined), ...side(t), null, 'none', null, null]);
  return toCsv(header, rows);
}
