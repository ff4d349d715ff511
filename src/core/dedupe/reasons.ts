/**
 * Why two files are near-duplicates, in words a user can check against the pictures: "rotated 90°", "contained
 * in", "cropped", "resized", "recompressed", "colour changed"... One reason per pair, from whichever step
 * verified it (the signatures' alignment, or the local features' transform).
 */
import type { PairReason, ReasonCode } from '../../shared/api.js';
import type { Alignment } from '../images/phash.js';
import type { PairVerification } from '../features/local-features.js';

/** What the reasons need of a file. */
export interface ReasonFacts {
  width: number | null;
  height: number | null;
  format: string | null;
  size: number;
  /** Share of the picture inside its trimmed content box (a padded copy has less). */
  content: number;
}

const differ = (x: number, y: number, by: number) => Math.abs(Math.log(Math.max(1, x) / Math.max(1, y))) > by;

/** Resized / recompressed, when nothing geometric explains the pair. */
function encoding(a: ReasonFacts, b: ReasonFacts, geometric: boolean): ReasonCode[] {
  const out: ReasonCode[] = [];
  if (!geometric && a.width && b.width && a.height && b.height && (differ(a.width, b.width, 0.05) || differ(a.height, b.height, 0.05))) out.push('resized');
  if (a.format !== b.format || out.length === 0) out.push('recompressed');
  return out;
}

/** The reason of a pair the signatures verified at `alignment`, the query turned by `quarters` × 90°. */
export function signatureReason(alignment: Alignment, quarters: number, a: ReasonFacts, b: ReasonFacts, contained = false): PairReason {
  const codes: ReasonCode[] = [];
  if (quarters > 0) codes.push('rotated');
  if (alignment.mirrored) codes.push('mirrored');
  // Found as a picture inside the other (a photo in a page), or inside the other's padding.
  if (contained || Math.abs(a.content - b.content) > 0.1) codes.push('contained');
  else if (alignment.w < 0.97 || alignment.h < 0.97) codes.push('cropped');
  codes.push(...encoding(a, b, codes.length > 0));
  return { codes, angle: quarters > 0 ? (quarters === 2 ? 180 : 90) : null };
}

/** The reason of a pair the local features verified. */
export function localReason(v: PairVerification, a: ReasonFacts, b: ReasonFacts): PairReason {
  const codes: ReasonCode[] = v.reasons.filter((r): r is ReasonCode => r !== 'identical' && r !== 'recompressed' && r !== 'shared-frame' && r !== 'no-match' && r !== 'colour-variant');
  const geometric = codes.some((c) => c === 'rotated' || c === 'contained' || c === 'cropped' || c === 'stretched');
  if (!codes.includes('recoloured') && !codes.includes('greyscale') && !codes.includes('edited')) codes.push(...encoding(a, b, geometric));
  else if (a.format !== b.format) codes.push('recompressed');
  return { codes, angle: codes.includes('rotated') ? Math.abs(Math.round(v.angle)) : null };
}

/** English words for a reason (the CLI's text output; the UI has its own strings in both languages). */
export function reasonText(r: PairReason): string {
  const words: Record<ReasonCode, string> = {
    rotated: `rotated ${r.angle ?? ''}°`,
    mirrored: 'mirrored',
    contained: 'contained in',
    cropped: 'cropped',
    resized: 'resized',
    stretched: 'stretched',
    recoloured: 'colour changed',
    greyscale: 'greyscale',
    edited: 'edited (sticker, text)',
    recompressed: 'recompressed',
  };
  return r.codes.map((c) => words[c]).join(', ');
}
