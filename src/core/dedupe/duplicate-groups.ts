/**
 * Finding the duplicate groups: exact duplicates (same content hash) and near-duplicates (candidates from the
 * embedding and layout indexes, verified on the perceptual signatures, then by colour and local features where
 * that is needed: review-candidates.ts), grouped without chaining, each with a suggested keeper, a reason per
 * pair and what removing the others would free.
 */
import { sep } from 'node:path';
import type { PairReason } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import type { ItemId } from '../../shared/types.js';
import type { Logger } from '../base/logger.js';
import type { Catalog } from '../catalog/catalog.js';
import { pairKey } from '../catalog/dedupe-journal.repo.js';
import { matchPictures } from '../images/phash.js';
import { prepareSignatures } from '../images/signature-arena.js';
import type { ModelState } from '../models/model-state.js';
import { loadScope, resolveCollections, toContents, type CataloguedScopeItem, type Contents } from './catalog-view.js';
import { groupWithoutChaining, type VerifiedEdge } from './grouping.js';
import { chooseKeeper, DEFAULT_KEEPER_RULES, type KeeperRule } from './keeper.js';
import { embeddingNeighboursIn, findNearDuplicates, type CandidateStats, type VerificationThreads } from './near-duplicates.js';
import { nodeKey, reviewCandidates, type LocalStats } from './review-candidates.js';
import type { SignatureStore } from './signature-store.js';

/**
 * Default detail agreement for a near-duplicate: half of the informative 8×8 detail blocks line up. Measured on
 * 3,068 clothing photos with one generated copy each (bench/dedupe-match): true copies score 0.70–1.0 (5th
 * percentile per alteration kind), the hardest non-duplicate candidates 0.36 at the 99.9th percentile.
 */
export const DEFAULT_DUPES_THRESHOLD = 0.5;

export type DupeRole = 'keeper' | 'remove' | 'reference';

export interface DupeItem extends Omit<CataloguedScopeItem, 'hash' | 'vector' | 'dim' | 'modelId'> {
  /** Detail agreement with the keeper (0..1; 1 for an identical file). */
  score: number;
  role: DupeRole;
  /** Byte-identical to the keeper. */
  identical: boolean;
  /** Why it is a near-duplicate of the keeper (or of the group's representative); null for the keeper and exact copies. */
  reason: PairReason | null;
}

export interface DupeGroup {
  /** Stable while the group's keeper stays the same. */
  id: string;
  keeperId: ItemId;
  /** The keeper first, then the others by score. */
  items: DupeItem[];
  /** Bytes the suggested removals would free. */
  reclaimableBytes: number;
}

export interface DupesOptions {
  /** Collection names; all collections when empty or absent (groups may then span collections). */
  collections?: readonly string[];
  /** Detail agreement (0..1) a near-duplicate must reach with its group's representative. */
  threshold?: number;
  keeperRules?: readonly KeeperRule[];
  preferredFolders?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (phase: 'signatures' | 'comparing', done: number, total: number) => void;
}

/** Wall time (seconds) of each step of a `list`, for benchmarks and logs. */
export interface DupesStages {
  /** Reading the scope's items and embeddings from the catalog. */
  load: number;
  /** Reading (or computing) the signatures and deriving their per-run vectors. */
  signatures: number;
  /** Proposing candidate pairs through the embedding and layout indexes. */
  candidates: number;
  /** Verifying the candidates on the signatures. */
  verification: number;
  /** Colour and local-feature checks of the candidates that need them. */
  local: number;
  /** Groups, keepers and scores. */
  grouping: number;
}

export interface DupesResult {
  groups: DupeGroup[];
  totals: { groups: number; items: number; removable: number; reclaimableBytes: number };
  threshold: number;
  /** Items looked at. */
  scanned: number;
  seconds: number;
  stats: Omit<CandidateStats, 'seconds'> & {
    signaturesComputed: number;
    /** Local-feature checks: pairs checked, pairs they confirmed, signature-verified pairs they dropped, pairs sharing only a frame, colour variants, open candidates over the budget. */
    local: LocalStats;
    stages: DupesStages;
  };
}

export interface DuplicateGroupsDeps {
  catalog: Catalog;
  model: ModelState;
  signatures: SignatureStore;
  logger: Logger;
  verification?: VerificationThreads;
}

/**
 * Duplicate groups with suggested keepers.
 * @throws AppError COLLECTION_NOT_FOUND, INVALID_INPUT (threshold), CANCELLED
 */
export async function findDuplicateGroups(deps: DuplicateGroupsDeps, options: DupesOptions = {}): Promise<DupesResult> {
  const started = performance.now();
  const threshold = options.threshold ?? DEFAULT_DUPES_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1)) throw new AppError('INVALID_INPUT', `The threshold must be in (0, 1], not ${threshold}.`);
  const rules = options.keeperRules && options.keeperRules.length > 0 ? options.keeperRules : DEFAULT_KEEPER_RULES;
  const { catalog } = deps;
  const scope = resolveCollections(catalog, options.collections);
  // Pending items too (catalogued by a progressive run, embeddings to come): the hash and the signature suffice.
  const items = loadScope(
    catalog,
    scope.map((c) => c.id),
    { pending: true },
  );
  const notDuplicates = catalog.dedupeJournal.notDuplicateKeys();
  const hex = (b: Buffer) => b.toString('hex');
  const contents = toContents(items, (h) => notDuplicates.has(`${h}:${h}`));
  const loaded = performance.now();

  // Signatures (computed once per content, then stored).
  const sources = contents.items.map((list) => ({ hash: list[0]!.hash, path: list[0]!.path }));
  const { signatures: sigs, computed } = await deps.signatures.ensure(sources, {
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (done, total) => options.onProgress?.('signatures', done, total),
  });
  throwIfAborted(options.signal);
  // In shared memory, so that the verification's worker threads view them rather than copy them.
  const { prepared } = prepareSignatures(contents.items.map((list) => sigs.get(hex(list[0]!.hash))));
  contents.pictures.forEach((p, i) => {
    p.signature = prepared[i];
  });
  const signed = performance.now();

  // Candidates through the embedding index and the signature index, verified on the signatures.
  const { pairs, open, stats: found } = await findNearDuplicates(
    contents.pictures,
    contents.pictures,
    embeddingNeighboursIn(
      deps.model.vectors(),
      scope.map((c) => c.id),
    ),
    {
      same: true,
      accept: threshold,
      ...(deps.verification ? { verification: deps.verification } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (done, total) => options.onProgress?.('comparing', done, total),
    },
  );
  const compared = performance.now();
  const { accepted, reasons, local } = await reviewCandidates(contents, contents, pairs, open, {
    logger: deps.logger,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (done, total) => options.onProgress?.('comparing', done, total),
  });
  const localDone = performance.now();
  const edges: VerifiedEdge[] = [];
  for (const p of accepted) {
    const a = contents.items[p.a]![0]!.hash;
    const b = contents.items[p.b]![0]!.hash;
    if (!notDuplicates.has(pairKey(a, b))) edges.push({ a: p.a, b: p.b, similarity: p.similarity });
  }
  const reasonOf = (x: number, y: number) => reasons.get(nodeKey(x, y));

  const keeperOptions = { rules, preferredFolders: options.preferredFolders ?? [], sep };
  const groups: DupeGroup[] = [];
  const grouped = new Set<number>();
  for (const g of groupWithoutChaining(edges)) {
    const nodes = [{ node: g.representative, similarity: 1 }, ...g.members];
    nodes.forEach((n) => grouped.add(n.node));
    groups.push(buildGroup(contents, nodes, keeperOptions, reasonOf));
  }
  // Exact duplicates with no near-duplicate of their own.
  contents.items.forEach((list, node) => {
    if (list.length > 1 && !grouped.has(node)) groups.push(buildGroup(contents, [{ node, similarity: 1 }], keeperOptions, () => undefined));
  });
  groups.sort((x, y) => y.reclaimableBytes - x.reclaimableBytes || x.items[0]!.path.localeCompare(y.items[0]!.path));

  const totals = { groups: groups.length, items: 0, removable: 0, reclaimableBytes: 0 };
  for (const g of groups) {
    totals.items += g.items.length;
    totals.removable += g.items.filter((i) => i.role === 'remove').length;
    totals.reclaimableBytes += g.reclaimableBytes;
  }
  const finished = performance.now();
  const { seconds: searched, ...stats } = found;
  return {
    groups,
    totals,
    threshold,
    scanned: items.length,
    seconds: (finished - started) / 1000,
    stats: {
      ...stats,
      signaturesComputed: computed,
      local,
      stages: {
        load: (loaded - started) / 1000,
        signatures: (signed - loaded) / 1000,
        candidates: searched.candidates,
        verification: searched.verification,
        local: (localDone - compared) / 1000,
        grouping: (finished - localDone) / 1000,
      },
    },
  };
}

function buildGroup(
  contents: Contents<CataloguedScopeItem>,
  nodes: readonly { node: number; similarity: number }[],
  keeperOptions: Parameters<typeof chooseKeeper>[1],
  reasonOf: (x: number, y: number) => PairReason | undefined,
): DupeGroup {
  const members = nodes.flatMap((n) => contents.items[n.node]!.map((item) => ({ item, node: n.node, similarity: n.similarity })));
  const decision = chooseKeeper(
    members.map((m) => ({ ...m.item, id: m.item.id as number, content: contents.pictures[m.node]!.signature?.sig.content ?? 1 })),
    keeperOptions,
  );
  const keeper = members.find((m) => m.item.id === decision.keeper.id)!;
  const removable = new Set(decision.remove.map((r) => r.id));
  // Scores are agreement with the keeper: known for the representative's edges, measured for the others.
  const representative = nodes[0]!.node;
  const scoreOf = (m: (typeof members)[number]): number => {
    if (m.node === keeper.node) return 1;
    if (keeper.node === representative) return m.similarity;
    if (m.node === representative) return keeper.similarity;
    const a = contents.pictures[keeper.node]!.signature;
    const b = contents.pictures[m.node]!.signature;
    return a && b ? matchPictures(a, b, { accept: 1 }).agreement : 0;
  };
  const items: DupeItem[] = members.map((m) => {
    const { hash: _h, vector: _v, dim: _d, modelId: _m, ...record } = m.item;
    return {
      ...record,
      score: m.item.id === keeper.item.id ? 1 : scoreOf(m),
      role: m.item.id === keeper.item.id ? 'keeper' : removable.has(m.item.id) ? 'remove' : 'reference',
      identical: m.node === keeper.node,
      reason: m.node === keeper.node ? null : (reasonOf(keeper.node, m.node) ?? reasonOf(representative, m.node) ?? null),
    };
  });
  items.sort((x, y) => (x.role === 'keeper' ? -1 : y.role === 'keeper' ? 1 : y.score - x.score || x.path.localeCompare(y.path)));
  return {
    id: `${keeper.item.hash.toString('hex').slice(0, 16)}-${keeper.item.id}`,
    keeperId: keeper.item.id,
    items,
    reclaimableBytes: items.filter((i) => i.role === 'remove').reduce((s, i) => s + i.size, 0),
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError('CANCELLED', 'Cancelled.');
}
