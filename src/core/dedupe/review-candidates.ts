/**
 * The second look `dupes` takes at its candidates after the signatures: colour (one product in two colours is
 * "similar", not a duplicate), then local features with geometric verification on the pairs that need them —
 * embedding neighbours the signatures could not line up (turned a few degrees, inside a page screenshot, cropped
 * to a quarter), and signature-verified pairs of middling agreement that may share only a frame, a page template
 * or a background. Each accepted pair carries its reason.
 */
import type { PairReason } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import { readImageFile } from '../base/read-file.js';
import type { Logger } from '../base/logger.js';
import { hueDistance, hueHistogram, type HueHistogram } from '../features/hue-histogram.js';
import type { PairVerification } from '../features/local-features.js';
import type { CataloguedScopeItem, Contents } from './catalog-view.js';
import { verifyLocally, type LocalCheck } from './local-verification.js';
import type { OpenCandidate, VerifiedPair } from './near-duplicates.js';
import { localReason, signatureReason, type ReasonFacts } from './reasons.js';
import { FRAME_SHARE, SharedFrames } from './shared-frames.js';

/**
 * Local-feature checks (features/local-features.ts), each ~0.1–0.3 s, so only on candidates that need them:
 * - an embedding neighbour (rank < 2) the signatures did not verify, with a cosine of at least LOCAL_COSINE, may be
 *   a copy they cannot line up;
 * - a signature-verified pair below VETO_BELOW may be two pictures that share only a frame, a page template or a
 *   background: the local check drops it when it finds a confident transform whose content disagrees.
 * Values measured on bench/near-dup (training half). LOCAL_COSINE: a tight crop or a page screenshot of a photo sits
 * at cosine 0.2–0.67 from it (and the cosine moves with the folder's transform), so 0.6 left most of them unchecked.
 * Tuning half, precision / recall (F1) and local checks: 0.6 → 95.4 / 87.0 (91.0), 567; 0.5 → 95.4 / 87.4 (91.3), 688;
 * 0.4 → 95.5 / 87.9 (91.5), 861; 0.3 → 95.5 / 88.3 (91.7) but over the budget below (1,000 checked, 158 skipped);
 * rank < 3 or 4 instead of 2: no better and over the budget. 0.4: the best within the budget.
 */
export const LOCAL_COSINE = 0.4;
export const VETO_BELOW = 0.9;
/**
 * Local checks per run at most: 1% of the pictures, and never fewer than 1,000 (a small catalog can afford all its
 * close candidates). A check costs ~0.12 s of CPU (58 ms per picture's ORB features, cached across its pairs; 62 ms
 * per pair's verification): ~120 s at 100k items.
 */
const LOCAL_BUDGET_SHARE = 0.01;
const LOCAL_BUDGET_MIN = 1000;
/**
 * Hue distance (degrees, earth mover's on the hue circle) beyond which a signature-verified pair may be one product
 * in two colours ("similar", not a duplicate): the grey signatures cannot see colour. The histogram alone is not
 * proof (a saturation boost on a near-grey garment, a crop that leaves out a coloured background move it past 60°),
 * so such a pair stays a duplicate only when the local check, which compares the hue of matched pixels, calls it
 * one; over the budget it is dropped.
 */
export const HUE_VARIANT = 60;
/**
 * A signature-verified pair is dropped when the local check finds the transform (VETO_INLIERS inliers) and a
 * connected patch of disagreeing blocks covering VETO_PATCH of the overlap: a product slot or the product on a
 * shared background. Measured on bench/near-dup: watermark bands and stickers stay under 0.13, other products
 * in one page template or on one background mostly over 0.14 (median 0.23).
 */
const VETO_PATCH = 0.14;
/**
 * Inliers a "shared frame only" verdict needs before it overrules the signatures: well above MIN_INLIERS (14, what
 * random matches never reach). bench/near-dup tuning half: 40 → 20 drops one more product on a shared background
 * (21 inliers, 15% of the overlap disagreeing); every copy re-examined there had 46 inliers or more.
 */
const VETO_INLIERS = 20;

/**
 * What the local step did: pairs checked, confirmed, signature pairs dropped, pairs dropped as sharing only a frame
 * other pictures share too (shared-frames.ts), colour variants, candidates over the budget.
 */
export interface LocalStats {
  checked: number;
  confirmed: number;
  vetoed: number;
  framed: number;
  colourVariants: number;
  skipped: number;
}

export interface ReviewedPairs {
  /** `a` indexes the queries, `b` the targets. */
  accepted: { a: number; b: number; similarity: number }[];
  /** The reason of each accepted pair: by `nodeKey` for one side, by `query:target` for two. */
  reasons: Map<string, PairReason>;
  local: LocalStats;
}

/** Order-free key of a node pair of one side (dupes); match keys its pairs `query:target`. */
export const nodeKey = (x: number, y: number): string => (x < y ? `${x}:${y}` : `${y}:${x}`);

export interface ReviewOptions {
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The pairs that stay duplicates after the colour and local checks, with their reasons. `pairs` and `open` index
 * `queries` (query) and `targets` (target): one collection against itself for dupes (the same object twice),
 * ours against theirs for match. Accepted pairs keep that orientation (`a` a query, `b` a target).
 * @throws AppError CANCELLED
 */
export async function reviewCandidates(
  queries: Contents<CataloguedScopeItem>,
  targets: Contents<CataloguedScopeItem>,
  pairs: readonly VerifiedPair[],
  open: readonly OpenCandidate[],
  options: ReviewOptions,
): Promise<ReviewedPairs> {
  // One node space for the caches below: a target is offset past the queries unless both sides are one.
  const same = queries === targets;
  const offset = same ? 0 : queries.items.length;
  const sideOf = (node: number) => (node < offset || same ? { c: queries, i: node } : { c: targets, i: node - offset });
  const q = (i: number) => i;
  const t = (i: number) => i + offset;
  const itemOf = (node: number) => {
    const { c, i } = sideOf(node);
    return c.items[i]![0]!;
  };
  const facts = (node: number): ReasonFacts => {
    const { c, i } = sideOf(node);
    const it = c.items[i]![0]!;
    return { width: it.width, height: it.height, format: it.format, size: it.size, content: c.pictures[i]!.signature?.sig.content ?? 1 };
  };
  const key = (a: number, b: number) => (same ? nodeKey(a, b) : `${a}:${b - offset}`);
  const reasons = new Map<string, PairReason>();
  /** colour: a colour suspect, kept only if confirmed; veto: a signature pair, dropped if overruled; confirm: an open candidate. */
  const checks: (LocalCheck & { similarity: number; kind: 'colour' | 'veto' | 'confirm' })[] = [];
  const accepted: ReviewedPairs['accepted'] = [];

  // Colour: a hue histogram per picture of a verified pair (a 32-pixel decode).
  const hues = new Map<number, Promise<HueHistogram | undefined>>();
  const hueOf = (node: number) => {
    let h = hues.get(node);
    if (!h) {
      h = readImageFile(itemOf(node).path)
        .then((bytes) => hueHistogram(bytes))
        .catch(() => undefined);
      hues.set(node, h);
    }
    return h;
  };
  const colourSuspects = new Set<VerifiedPair>();
  for (let i = 0; i < pairs.length; i += 16) {
    if (options.signal?.aborted) throw new AppError('CANCELLED', 'Cancelled.');
    await Promise.all(
      pairs.slice(i, i + 16).map(async (p) => {
        const [ha, hb] = await Promise.all([hueOf(q(p.query)), hueOf(t(p.target))]);
        const d = ha && hb ? hueDistance(ha, hb) : undefined;
        if (d !== undefined && d > HUE_VARIANT) colourSuspects.add(p);
      }),
    );
  }
  hues.clear();
  const coloured = pairs.filter((p) => !colourSuspects.has(p));

  // A budget keeps a dense catalog within its time: colour suspects first, then the least certain signature pairs,
  // then the closest open candidates; what is over it keeps the signatures' verdict (or stays apart; a colour
  // suspect is dropped).
  let budget = Math.max(LOCAL_BUDGET_MIN, Math.ceil((queries.pictures.length + (same ? 0 : targets.pictures.length)) * LOCAL_BUDGET_SHARE));
  const suspects = pairs.filter((p) => colourSuspects.has(p));
  const colourChecked = new Set(suspects.slice(0, budget));
  budget -= colourChecked.size;
  const uncertain = coloured.filter((p) => p.agreement < VETO_BELOW && p.quarters === 0).sort((x, y) => x.agreement - y.agreement);
  const reexamined = new Set(uncertain.slice(0, budget));
  budget -= reexamined.size;
  for (const p of [...colourChecked, ...coloured]) {
    const [a, b] = [q(p.query), t(p.target)];
    if (colourChecked.has(p)) checks.push({ a, b, similarity: p.agreement, kind: 'colour' });
    else if (reexamined.has(p)) checks.push({ a, b, similarity: p.agreement, kind: 'veto' });
    else accepted.push({ a, b, similarity: p.agreement });
    reasons.set(key(a, b), signatureReason(p.alignment, p.quarters, facts(a), facts(b), p.contained));
  }
  // An inner picture's proposal first (a photo in a page: rare, and its embedding cosine says nothing), then the
  // closest embedding neighbours.
  const worthIt = open.filter((c) => c.contained || c.score >= LOCAL_COSINE).sort((x, y) => Number(y.contained) - Number(x.contained) || y.score - x.score);
  for (const c of worthIt.slice(0, Math.max(0, budget))) checks.push({ a: q(c.query), b: t(c.target), similarity: 0, kind: 'confirm' });
  // Node order, so that the feature cache serves a picture's pairs together.
  checks.sort((x, y) => x.a - y.a || x.b - y.b);
  const verdicts = await verifyLocally(checks, {
    pathOf: (node) => itemOf(node).path,
    logger: options.logger,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const local: LocalStats = {
    checked: checks.length,
    confirmed: 0,
    vetoed: 0,
    framed: 0,
    // Over the budget, a colour suspect is dropped unchecked.
    colourVariants: suspects.length - colourChecked.size,
    skipped: uncertain.length - reexamined.size + Math.max(0, worthIt.length - budget),
  };
  const passes = checks.map((c, i) => {
    const v = verdicts[i];
    return c.kind === 'veto' ? !(v && overrules(v)) : v?.verdict === 'duplicate';
  });
  // What the rejected pairs matched (frames, templates) is known only once every pair is checked.
  const frames = new SharedFrames();
  checks.forEach((c, i) => {
    const v = verdicts[i];
    if (v && !passes[i] && v.inliers >= VETO_INLIERS) frames.witness(c.a, c.b, v);
  });
  checks.forEach((c, i) => {
    const v = verdicts[i];
    const framed = passes[i] && v !== undefined && frames.share(c.a, c.b, v) >= FRAME_SHARE;
    if (framed) local.framed++;
    if (c.kind === 'colour') {
      if (passes[i] && !framed) accepted.push(c);
      else {
        if (!framed) local.colourVariants++;
        reasons.delete(key(c.a, c.b));
      }
    } else if (c.kind === 'veto') {
      if (!passes[i] || framed) {
        if (!framed) local.vetoed++;
        reasons.delete(key(c.a, c.b));
      } else accepted.push(c);
    } else if (passes[i] && !framed) {
      local.confirmed++;
      // The score is the local check's own agreement: the share of the overlap's informative blocks that match.
      accepted.push({ a: c.a, b: c.b, similarity: v!.agreement });
      reasons.set(key(c.a, c.b), localReason(v!, facts(c.a), facts(c.b)));
    }
  });
  // Back to each side's own indexes.
  return { accepted: accepted.map((p) => ({ a: p.a, b: p.b - offset, similarity: p.similarity })), reasons, local };
}

/** A local verdict that drops a signature-verified pair: one colour of a product against another, or a confident
 * transform whose matched region is only what the two share (frame, template, background). */
function overrules(v: PairVerification): boolean {
  if (v.verdict === 'similar') return true;
  if (v.inliers < VETO_INLIERS) return false;
  // A band stamped across the photo (a watermark strip, a price banner) is an edit of the same picture, not another
  // product in its slot: what lies outside it decides.
  if (v.banded) return v.agreementOutsideBand < 0.5;
  return v.disagreement >= VETO_PATCH || v.agreement < 0.5;
}
