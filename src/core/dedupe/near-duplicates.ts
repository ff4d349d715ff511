/**
 * Near-duplicate pairs between two sets of pictures (or within one), never all-pairs: each picture proposes a
 * few candidates by k-nearest-neighbour search in two indexes, and only those candidates are verified.
 *
 * - The embedding index (the catalog's usearch index per collection): finds recoloured, recompressed, resized,
 *   cropped and mirrored copies. Its cosine alone cannot tell a copy from a lookalike shot the same way, and
 *   white padding or a heavy watermark moves a copy far down the neighbour list (measured: with k = 16 the
 *   `accurate` model finds only 89% of padded copies and 94% of watermarked ones).
 * - A signature index (usearch, in memory, built per run) over the coarse layout of each picture's trimmed
 *   content, queried with the picture itself, its mirror, its centred crops, its quarter turns and the pictures it
 *   holds (images/parts.ts: a photo inside a page screenshot): finds padded, watermarked, centrally cropped, turned
 *   and contained copies whatever the model says.
 *
 * Every candidate pair is then verified on the signatures (images/phash.ts): the share of fine-detail blocks
 * that line up at the best alignment. Copies agree almost everywhere; different products laid out alike agree
 * only along their outline.
 */
import usearch from 'usearch';
import { AppError } from '../../shared/errors.js';
import type { CollectionId } from '../../shared/types.js';
import { turnedLayout, type Alignment, type PreparedSignature } from '../images/phash.js';
import { innerPictures, partLayout } from '../images/parts.js';
import { arenaSlotOf, type SignatureArena } from '../images/signature-arena.js';
import { decodeOutcome, OUTCOME_FIELDS, TASK_FIELDS, verifyOnWorkers, type VerificationSide } from './verification-pool.js';
import { candidateFlags, turnedSignatures, verifyCandidate, type CandidateOutcome } from './verify-candidate.js';
import { decodeF16 } from '../base/f16.js';
import type { VectorStore } from '../vectors/vector-store.js';

/** One distinct content (by hash) of a side: the items sharing it are exact duplicates of each other. */
export interface Picture<V extends Buffer | null = Buffer> {
  /** An item id of this content that the embedding index knows (the first one). */
  itemId: number;
  /** Every item id of this content on this side. */
  itemIds: readonly number[];
  /** The stored embedding (f16 little-endian); null while the item is pending (found through its layout only). */
  vector: V;
  /** Undefined when the file could not be signed: it is then matched by identical content only. */
  signature: PreparedSignature | undefined;
}

/** Nearest items by embedding on the target side, asked in bulk (the transform is one matrix product per batch). */
export interface EmbeddingNeighbours {
  /** `count` raw embeddings (row-major) as the index holds them: through the folder's transform. */
  prepare(raws: Float32Array, count: number): Promise<Float32Array>;
  /** The `k` nearest items (ids and cosine scores) to each of `count` prepared queries, best first. */
  search(prepared: Float32Array, count: number, k: number): readonly (readonly { id: number; score: number }[])[];
}

/** Embedding neighbours among `collectionIds` in a folder's vector indexes (none when the catalog has no model). */
export function embeddingNeighboursIn(vectors: VectorStore | undefined, collectionIds: readonly CollectionId[]): EmbeddingNeighbours {
  return {
    prepare: async (raws, count) => (vectors ? vectors.prepareMany(raws, count) : new Float32Array(0)),
    // usearch's default breadth: each of a dedupe's up to 10^5 queries only seeds candidates that a pixel check
    // verifies, and layout neighbours seed them too; the interactive search's wider walk (256) costs ~0.7 ms more per
    // query at 100k vectors on the app's graph (search bench: 1.05 against 0.33 ms median), over a minute of CPU for a
    // 100k-item dedupe.
    search: (prepared, count, k) => (vectors ? vectors.searchPreparedMany(collectionIds, prepared, count, k, 0) : Array.from({ length: count }, () => [])),
  };
}

/**
 * Layout cosine a quarter-turned picture must reach with a layout for the pair to be a candidate. A picture whose
 * pixels were turned lines up with its copy's layout almost exactly once turned back (cosine ≥ 0.88 for every such
 * copy verified in the near-dup bench's tuning half, ≥ 0.9 for 29 of 31), while the three nearest layouts of a
 * turned picture are mostly other pictures (99% of those candidates there were never verified, 5% of them reach
 * 0.8): without this gate the turns added ~8 candidates per picture at 100k, and most of the false pairs there.
 */
const MIN_TURNED_LAYOUT_COSINE = 0.8;

/**
 * Layout cosine an inner picture (a photo inside a page) must reach with a picture's layout to propose it. Measured
 * on the near-dup bench's tuning half (1,024 pictures): every page screenshot's product photo sat at 0.68–0.99 as
 * the nearest layout of the page's inner picture; at 0.6, 0.38 proposals per picture (0.24 at 0.7, which lost one).
 */
const MIN_INNER_LAYOUT_COSINE = 0.6;

/** Queries transformed per batch (one matrix product each), and searched per slice (the event loop breathes between). */
const PREPARE_BATCH = 2048;
const SEARCH_SLICE = 128;

export interface NearDuplicateOptions {
  /** Detail agreement (0..1) that verifies a pair. */
  accept: number;
  /**
   * Neighbours per picture: embedding (default 8), layout and mirrored layout (default 6 each), each centred
   * crop's layout (default 3). Measured on the benchmark: with these, 98.4% or more of the copies of every
   * alteration kind are among the candidates for both built-in models, at about 21 candidates per picture.
   */
  kEmbedding?: number;
  kSignature?: number;
  kCentre?: number;
  /** Layout neighbours of each quarter turn of a picture (default 3): copies whose pixels were turned. */
  kRotated?: number;
  /** Layout neighbours of each inner picture of a picture (default 1): a photo shown inside a page, a collage. */
  kInner?: number;
  /** Unverified candidates among a picture's first `localRank` embedding neighbours are returned (default 2). */
  localRank?: number;
  /** Search crops of any size and position for a picture's best few embedding neighbours (default 1). */
  searchTop?: number;
  /** Where the verification worker module is and from how many candidates it is used (see VerificationThreads). */
  verification?: VerificationThreads;
  signal?: AbortSignal;
  /** Progress: candidate pairs verified so far and their total. */
  onProgress?: (done: number, total: number) => void;
  /** Receives each query's embedding neighbours on the target side (target index, cosine), best first. */
  onEmbeddingHits?: (query: number, hits: readonly { target: number; score: number }[]) => void;
}

/**
 * How a host runs the verification on worker threads: a bundled host (the desktop app) names the worker module it
 * emitted (EngineOptions.verifyWorkerFile); tests lower the candidate count to run the workers on a few pictures.
 */
export interface VerificationThreads {
  /** Default: the compiled verify.worker.js beside verification-pool (absent under the TypeScript sources). */
  workerFile?: string;
  /** Candidates from which the workers are used (default MIN_PARALLEL_CANDIDATES). */
  minCandidates?: number;
}

export interface VerifiedPair {
  /** Index into the query side. */
  query: number;
  /** Index into the target side. */
  target: number;
  /** Detail agreement (0..1). */
  agreement: number;
  /** How the target lines up with the query: the alignment, and the quarter turns applied to the query. */
  alignment: Alignment;
  quarters: 0 | 1 | 2 | 3;
  /** One was found as an inner picture of the other (a photo inside a page screenshot). */
  contained: boolean;
}

/** A candidate the signatures did not verify, close in embedding: worth a local-feature check. */
export interface OpenCandidate {
  query: number;
  target: number;
  /** Best rank among either end's embedding neighbours, and the cosine there. */
  rank: number;
  score: number;
  /** Proposed as an inner picture of one end: worth a local check whatever the embedding says. */
  contained: boolean;
}

export interface CandidateStats {
  /** Pairs compared on their signatures. */
  candidates: number;
  /** Pairs found to be near-duplicates. */
  verified: number;
  /** Pairs that also got the dear crop search and still were not near-duplicates. */
  searched: number;
  /** Pairs verified only as a quarter turn of each other. */
  rotated: number;
  /** Candidates an inner picture proposed, and pairs verified as one inside the other that way. */
  inner: number;
  contained: number;
  /** Wall time of the two steps: proposing candidates (both indexes) and verifying them on the signatures. */
  seconds: { candidates: number; verification: number };
}

/** Lets other work (a server's requests, a cancel) run between slices of a long comparison. */
function breather(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 25) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    last = performance.now();
  };
}

/**
 * Verified near-duplicate pairs of `queries` × `targets`. With `same` (one side compared with itself), each
 * unordered pair is reported once with query < target. Yields to the event loop every few tens of milliseconds.
 * @throws AppError CANCELLED when `signal` aborts.
 */
export async function findNearDuplicates(
  queries: readonly Picture<Buffer | null>[],
  targets: readonly Picture<Buffer | null>[],
  embeddingNeighbours: EmbeddingNeighbours,
  options: NearDuplicateOptions & { same: boolean },
): Promise<{ pairs: VerifiedPair[]; open: OpenCandidate[]; stats: CandidateStats }> {
  const started = performance.now();
  const kEmbedding = options.kEmbedding ?? 8;
  const kSignature = options.kSignature ?? 6;
  const kCentre = options.kCentre ?? 3;
  const searchTop = options.searchTop ?? 1;
  const kRotated = options.kRotated ?? 3;
  const kInner = options.kInner ?? 1;
  const localRank = options.localRank ?? 2;
  const targetOfItem = new Map<number, number>();
  targets.forEach((t, i) => t.itemIds.forEach((id) => targetOfItem.set(id, i)));
  const sigIndex = buildSignatureIndex(targets, !options.same);
  const cancelled = () => new AppError('CANCELLED', 'Cancelled.');
  const pause = breather();

  // 1. Candidates, each unordered pair once, with its best rank among the embedding neighbours of either end
  //    (Infinity when only the signature index proposed it): the top ones get the dear crop search.
  const rankOf = new Map<number, number>();
  /**
   * Best embedding cosine of a pair; quarter turns of the query under which its layout proposed the target (bit
   * `quarters`), and bit 0 when the pair was also proposed without a turn (else its plain match is not tried).
   */
  const scoreOf = new Map<number, number>();
  const turnsOf = new Map<number, number>();
  /** The inner picture that proposed a pair: candidateFlags' inner bits (index + 1, host side). */
  const innerOf = new Map<number, number>();
  const keyOf = (q: number, t: number) => (options.same ? Math.min(q, t) * queries.length + Math.max(q, t) : q * targets.length + t);
  const propose = (q: number, t: number, rank: number) => {
    if (options.same && t === q) return;
    const key = keyOf(q, t);
    const had = rankOf.get(key);
    if (had === undefined || rank < had) rankOf.set(key, rank);
  };
  // Pending pictures (not embedded yet) are not asked of the embedding index; the layouts below still are.
  const embedded = queries.flatMap((p, q) => (p.vector === null ? [] : [q]));
  const rawDim = (embedded.length > 0 ? queries[embedded[0]!]!.vector!.length : 0) / 2;
  for (let start = 0; start < embedded.length; start += PREPARE_BATCH) {
    await pause();
    if (options.signal?.aborted) throw cancelled();
    const count = Math.min(PREPARE_BATCH, embedded.length - start);
    const raws = new Float32Array(count * rawDim);
    for (let r = 0; r < count; r++) {
      const vector = queries[embedded[start + r]!]!.vector!;
      if (vector.length !== rawDim * 2) throw new Error(`near-duplicates: query ${embedded[start + r]} has ${vector.length / 2} dimensions, not ${rawDim}`);
      decodeF16(vector, raws, r * rawDim);
    }
    const prepared = await embeddingNeighbours.prepare(raws, count);
    const dim = prepared.length / count;
    for (let slice = 0; slice < count; slice += SEARCH_SLICE) {
      await pause();
      if (options.signal?.aborted) throw cancelled();
      const n = Math.min(SEARCH_SLICE, count - slice);
      // Identical contents of the target side share one vector: ask for a few more so they do not crowd out others.
      const found = embeddingNeighbours.search(prepared.subarray(slice * dim, (slice + n) * dim), n, kEmbedding + 4);
      for (let i = 0; i < n; i++) {
        const q = embedded[start + slice + i]!;
        const hits: { target: number; score: number }[] = [];
        const taken = new Set<number>();
        for (const hit of found[i] ?? []) {
          const t = targetOfItem.get(hit.id);
          if (t === undefined || (options.same && t === q) || taken.has(t)) continue;
          taken.add(t);
          propose(q, t, hits.length);
          const key = keyOf(q, t);
          if (!(hit.score <= (scoreOf.get(key) ?? -Infinity))) scoreOf.set(key, hit.score);
          hits.push({ target: t, score: hit.score });
          if (hits.length >= kEmbedding) break;
        }
        options.onEmbeddingHits?.(q, hits);
      }
    }
  }
  if (sigIndex) {
    // Layout neighbours, in batches (usearch searches a batch on every core): the picture, its mirror, its crops.
    const asks: [(s: PreparedSignature) => Float32Array, number][] = [
      [(s) => s.whole[0], kSignature],
      [(s) => s.whole[1], kSignature],
      ...[0, 1, 2].map((i) => [(s: PreparedSignature) => s.centre[i] ?? s.whole[0], kCentre] as [(s: PreparedSignature) => Float32Array, number]),
    ];
    for (const [pick, k] of asks) {
      if (options.signal?.aborted) throw cancelled();
      const asking = queries.map((p, q) => [p.signature, q] as const).filter((x): x is readonly [PreparedSignature, number] => x[0] !== undefined && isInformative(pick(x[0])));
      const found = sigIndex.searchBatch(
        asking.map(([sig]) => pick(sig)),
        k,
      );
      asking.forEach(([, q], i) => {
        for (const { target } of found[i]!) propose(q, target, Number.POSITIVE_INFINITY);
      });
    }
    // Each quarter turn of the picture, asked of the plain layouts: a copy whose pixels were turned without an
    // EXIF tag has another layout altogether.
    for (const quarters of [1, 2, 3] as const) {
      if (kRotated <= 0) break;
      if (options.signal?.aborted) throw cancelled();
      await pause();
      const asking: [Float32Array, number][] = [];
      queries.forEach((p, q) => {
        if (!p.signature || !isInformative(p.signature.whole[0])) return;
        asking.push([turnedLayout(p.signature.sig, quarters), q]);
      });
      const found = sigIndex.searchBatch(
        asking.map(([v]) => v),
        kRotated,
      );
      asking.forEach(([, q], i) => {
        for (const { target: t, distance } of found[i]!) {
          if ((options.same && t === q) || 1 - distance < MIN_TURNED_LAYOUT_COSINE) continue;
          const key = keyOf(q, t);
          const had = turnsOf.get(key) ?? (rankOf.has(key) ? 1 : 0);
          propose(q, t, Number.POSITIVE_INFINITY);
          // Turns are recorded for the query's side of the key (the lower node when one side is compared with itself).
          const turns = options.same && t < q ? 4 - quarters : quarters;
          turnsOf.set(key, had | (1 << turns));
        }
      });
    }
    // Each inner picture of a picture (a product photo in a page screenshot), asked of the plain layouts: the photo
    // alone lines up with neither the page's layout nor its centred crops. Across two sides, the targets' inner
    // pictures are asked of the queries' layouts too (their page may show our photo).
    if (kInner > 0) {
      if (options.signal?.aborted) throw cancelled();
      await pause();
      for (const { hosts, index, targetHosts } of [
        { hosts: queries, index: () => sigIndex, targetHosts: false },
        // Built only when a target holds an inner picture.
        ...(options.same ? [] : [{ hosts: targets, index: () => buildSignatureIndex(queries, false), targetHosts: true }]),
      ]) {
        for (const { host, other, part, cosine } of innerProposals(hosts, index, kInner)) {
          const [q, t] = targetHosts ? [other, host] : [host, other];
          if (options.same && t === q) continue;
          if (cosine < MIN_INNER_LAYOUT_COSINE) continue;
          const key = keyOf(q, t);
          // Proposed by its inner picture alone: the plain comparison (a page against a photo) is not worth making.
          if (!rankOf.has(key)) turnsOf.set(key, 0);
          propose(q, t, Number.POSITIVE_INFINITY);
          // The host is the key's target side when it is a target, or the higher node of one side compared with itself.
          if (!innerOf.has(key)) innerOf.set(key, candidateFlags(false, { index: part, hostIsTarget: targetHosts || (options.same && t < q) }));
        }
      }
    }
  }

  // 2. Verification on the signatures, on worker threads when there are enough candidates to be worth them.
  const proposed = performance.now();
  const stats: CandidateStats = { candidates: 0, verified: 0, searched: 0, rotated: 0, inner: 0, contained: 0, seconds: { candidates: (proposed - started) / 1000, verification: 0 } };
  const pairs: VerifiedPair[] = [];
  const open: OpenCandidate[] = [];
  const width = options.same ? queries.length : targets.length;
  const targetSide = options.same ? queries : targets;
  // The candidates with a signature at both ends, in proposal order (the order the pairs are reported in).
  const tasks = new Int32Array(rankOf.size * TASK_FIELDS);
  const ranks = new Float64Array(rankOf.size);
  const keys = new Float64Array(rankOf.size);
  let count = 0;
  for (const [key, rank] of rankOf) {
    const q = Math.floor(key / width);
    const t = key % width;
    if (!queries[q]!.signature || !targetSide[t]!.signature) continue;
    const inner = innerOf.get(key) ?? 0;
    if (inner !== 0) stats.inner++;
    tasks.set([q, t, turnsOf.get(key) ?? 1, candidateFlags(rank < searchTop) | inner], count * TASK_FIELDS);
    ranks[count] = rank;
    keys[count] = key;
    count++;
  }
  stats.candidates = count;
  const settle = (i: number, outcome: CandidateOutcome) => {
    const q = tasks[i * TASK_FIELDS]!;
    const t = tasks[i * TASK_FIELDS + 1]!;
    if (outcome.searched) stats.searched++;
    const v = outcome.verified;
    if (v) {
      stats.verified++;
      if (v.quarters !== 0) stats.rotated++;
      if (v.contained) stats.contained++;
      pairs.push({ query: q, target: t, agreement: v.agreement, alignment: v.alignment, quarters: v.quarters, contained: v.contained });
    } else {
      const contained = innerOf.has(keys[i]!);
      if (ranks[i]! < localRank || contained) open.push({ query: q, target: t, rank: ranks[i]!, score: scoreOf.get(keys[i]!) ?? 0, contained });
    }
  };
  const sides = count >= (options.verification?.minCandidates ?? MIN_PARALLEL_CANDIDATES) ? arenaSides(queries, options.same ? undefined : targets) : undefined;
  const onWorkers =
    sides !== undefined &&
    (await verifyOnWorkers(
      { ...sides, accept: options.accept },
      tasks.subarray(0, count * TASK_FIELDS),
      (first, outcomes) => {
        const n = Math.min(outcomes.length / OUTCOME_FIELDS, count - first);
        for (let j = 0; j < n; j++) settle(first + j, decodeOutcome(outcomes, j));
        options.onProgress?.(first + n, count);
      },
      {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.verification?.workerFile !== undefined ? { workerFile: options.verification.workerFile } : {}),
      },
    ));
  if (!onWorkers) {
    const turned = turnedSignatures();
    for (let i = 0; i < count; i++) {
      if ((i & 255) === 255) {
        await pause();
        if (options.signal?.aborted) throw cancelled();
        options.onProgress?.(i, count);
      }
      const at = i * TASK_FIELDS;
      const q = tasks[at]!;
      settle(i, verifyCandidate(q, queries[q]!.signature!, targetSide[tasks[at + 1]!]!.signature!, tasks[at + 2]!, tasks[at + 3]!, options.accept, turned));
    }
  }
  options.onProgress?.(count, count);
  stats.seconds.verification = (performance.now() - proposed) / 1000;
  return { pairs, open, stats };
}

/**
 * Fewer candidates than this are verified on the calling thread: starting the workers (each loads the engine's image
 * modules) costs more than they would save.
 */
const MIN_PARALLEL_CANDIDATES = 20_000;

/** Both sides' pictures as slots of one arena each, when every signature of a side lives in the same arena. */
function arenaSides(
  queries: readonly Picture<Buffer | null>[],
  targets: readonly Picture<Buffer | null>[] | undefined,
): { queries: VerificationSide; targets?: VerificationSide } | undefined {
  const side = (pictures: readonly Picture<Buffer | null>[]): VerificationSide | undefined => {
    let arena: SignatureArena | undefined;
    const slots = new Int32Array(pictures.length).fill(-1);
    for (let i = 0; i < pictures.length; i++) {
      const sig = pictures[i]!.signature;
      if (!sig) continue;
      const home = arenaSlotOf(sig);
      if (!home || (arena !== undefined && home.arena !== arena)) return undefined;
      arena = home.arena;
      slots[i] = home.slot;
    }
    return arena ? { arena, slots } : undefined;
  };
  const q = side(queries);
  if (!q) return undefined;
  if (!targets) return { queries: q };
  const t = side(targets);
  return t ? { queries: q, targets: t } : undefined;
}

interface SignatureIndex {
  /** For each query vector, the target indexes of its `k` nearest layouts and their cosine distances, nearest first. */
  searchBatch(vectors: readonly Float32Array[], k: number): { target: number; distance: number }[][];
}

/** A blank picture has an all-zero layout vector: it has no cosine with anything. */
function isInformative(v: Float32Array): boolean {
  return v.some((x) => x !== 0);
}

/** The `k` nearest layouts in `index` (built on first need) of each inner picture of each of `hosts` (innerPictures' order). */
function innerProposals(hosts: readonly Picture<Buffer | null>[], index: () => SignatureIndex | undefined, k: number): { host: number; other: number; part: number; cosine: number }[] {
  const asking: [Float32Array, number, number][] = [];
  hosts.forEach((p, host) => {
    const sig = p.signature?.sig;
    if (!sig) return;
    innerPictures(sig).forEach((part, i) => {
      const v = partLayout(sig, part);
      if (isInformative(v)) asking.push([v, host, i]);
    });
  });
  const layouts = asking.length > 0 ? index() : undefined;
  if (!layouts) return [];
  const found = layouts.searchBatch(
    asking.map(([v]) => v),
    k,
  );
  return asking.flatMap(([, host, part], i) => found[i]!.map(({ target, distance }) => ({ host, other: target, part, cosine: 1 - distance })));
}

/**
 * An in-memory usearch index of the targets' coarse layouts (whole picture; with `withCrops`, also the centred
 * 75% crop, so a query that is a crop of a target finds it when queries and targets are different sets).
 */
function buildSignatureIndex(targets: readonly Picture<Buffer | null>[], withCrops: boolean): SignatureIndex | undefined {
  const rows: [Float32Array, number][] = [];
  targets.forEach((t, i) => {
    if (!t.signature || !isInformative(t.signature.whole[0])) return;
    rows.push([t.signature.whole[0], i]);
    if (withCrops && t.signature.centre[1]) rows.push([t.signature.centre[1], i]);
  });
  if (rows.length === 0) return undefined;
  const dim = rows[0]![0].length;
  const index = new usearch.Index({
    dimensions: dim,
    metric: usearch.MetricKind.Cos,
    // Half the memory traffic of f32: searching is bound by it once the layouts outgrow the CPU's caches (at 30k
    // pictures f16 cut building and searching by 40%), and the neighbour lists change no more than between two
    // f32 builds (its multi-threaded insertion is not deterministic either: ~1% of candidates differ).
    quantization: usearch.ScalarKind.F16,
    connectivity: 16,
    expansion_add: 0,
    expansion_search: 0,
    multi: false,
  });
  const flat = new Float32Array(rows.length * dim);
  rows.forEach(([v], i) => flat.set(v, i * dim));
  // Keys are row numbers; a row's target is looked up, so a target may own several rows.
  index.add(BigUint64Array.from(rows, (_, i) => BigInt(i)), flat, 0);
  const targetOfRow = rows.map(([, t]) => t);
  return {
    searchBatch(vectors, k) {
      const n = Math.min(k, rows.length);
      const out: { target: number; distance: number }[][] = [];
      // One query comes back as plain matches, several as a batch.
      if (vectors.length === 1) {
        const m = index.search(vectors[0]!, n, 0);
        out.push(Array.from(m.keys, (key, j) => ({ target: targetOfRow[Number(key)]!, distance: m.distances[j]! })));
      } else if (vectors.length > 1) {
        const m = index.search([...vectors], n, 0);
        for (let i = 0; i < vectors.length; i++) {
          const row: { target: number; distance: number }[] = [];
          for (let j = 0; j < Number(m.counts[i]); j++) row.push({ target: targetOfRow[Number(m.keys[i * n + j])]!, distance: m.distances[i * n + j]! });
          out.push(row);
        }
      }
      return out;
    },
  };
}
