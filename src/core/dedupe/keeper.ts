/**
 * Which copy of a duplicate group to keep, by an ordered list of rules the user chooses (the first rule that
 * tells two files apart decides; the next ones break ties), and which copies may go: never a file under a
 * reference folder, never the keeper.
 *
 * largest-pixels counts picture content: a copy padded with a white border has more pixels but no more picture,
 * so of two copies with the same content (within 2%) the one with less border wins.
 */
import type { KEEPER_RULES } from '../../shared/api.js';
import { missingCase } from '../../shared/errors.js';

/** One rule of the contract's list (largest-pixels, largest-file, oldest, newest, shortest-path, preferred-folder). */
export type KeeperRule = (typeof KEEPER_RULES)[number];

/** What the rules look at. */
export interface KeeperCandidate {
  id: number;
  path: string;
  size: number;
  mtimeMs: number;
  width: number | null;
  height: number | null;
  /** Share of the picture inside its plain white/black border (1 without one); see images/phash.ts. */
  content?: number;
  /** Under a root flagged as reference: kept whatever the rules say. */
  reference: boolean;
}

export interface KeeperOptions {
  rules: readonly KeeperRule[];
  /** Folders whose files are preferred by the 'preferred-folder' rule, earlier folders first. */
  preferredFolders?: readonly string[];
  /** Path separator of the platform (tests pass '/'). */
  sep?: string;
}

/**
 * The most picture, then the earliest file (copies are made from an original, so it is usually the oldest; a
 * re-encode with a watermark can well be the larger file), then the larger file, then the shorter path.
 */
export const DEFAULT_KEEPER_RULES: readonly KeeperRule[] = ['largest-pixels', 'oldest', 'largest-file', 'shortest-path'];

/** Pixel counts this close are a tie (a trim or rounding difference, not more picture). */
const PIXEL_TIE = 0.02;

function compareByPixels(a: KeeperCandidate, b: KeeperCandidate): number {
  const total = (c: KeeperCandidate) => (c.width ?? 0) * (c.height ?? 0);
  const content = (c: KeeperCandidate) => total(c) * Math.min(1, Math.max(0, c.content ?? 1));
  const ca = content(a);
  const cb = content(b);
  if (Math.abs(ca - cb) > PIXEL_TIE * Math.max(ca, cb)) return cb - ca;
  // As much picture either way: the one with less added border.
  const ta = total(a);
  const tb = total(b);
  return Math.abs(ta - tb) > PIXEL_TIE * Math.max(ta, tb) ? ta - tb : 0;
}

function folderRank(path: string, folders: readonly string[], sep: string): number {
  for (let i = 0; i < folders.length; i++) {
    const f = folders[i]!;
    const base = f.endsWith(sep) ? f : f + sep;
    if (path.startsWith(base)) return i;
  }
  return folders.length;
}

/** Negative when `a` is the better keeper under one rule, positive when `b` is, 0 when the rule cannot tell. */
function compareBy(rule: KeeperRule, a: KeeperCandidate, b: KeeperCandidate, options: KeeperOptions): number {
  switch (rule) {
    case 'largest-pixels':
      return compareByPixels(a, b);
    case 'largest-file':
      return b.size - a.size;
    case 'oldest':
      return a.mtimeMs - b.mtimeMs;
    case 'newest':
      return b.mtimeMs - a.mtimeMs;
    case 'shortest-path':
      return a.path.length - b.path.length;
    case 'preferred-folder': {
      const folders = options.preferredFolders ?? [];
      const sep = options.sep ?? '/';
      return folderRank(a.path, folders, sep) - folderRank(b.path, folders, sep);
    }
    default:
      return missingCase(rule);
  }
}

/** Orders candidates best keeper first: reference files first (they stay anyway), then the rules, then path, then id. */
export function compareKeepers(a: KeeperCandidate, b: KeeperCandidate, options: KeeperOptions): number {
  if (a.reference !== b.reference) return a.reference ? -1 : 1;
  for (const rule of options.rules) {
    const d = compareBy(rule, a, b, options);
    if (d !== 0) return d;
  }
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.id - b.id;
}

export interface KeeperDecision<T extends KeeperCandidate> {
  keeper: T;
  /** Members the suggestion would remove (never the keeper, never a reference file). */
  remove: T[];
  /** Members kept besides the keeper because they lie under a reference folder. */
  protected: T[];
}

/**
 * Picks the keeper of a group and the removable members.
 * @throws Error for an empty group (a caller bug).
 */
export function chooseKeeper<T extends KeeperCandidate>(members: readonly T[], options: KeeperOptions): KeeperDecision<T> {
  if (members.length === 0) throw new Error('chooseKeeper needs at least one member');
  const sorted = [...members].sort((a, b) => compareKeepers(a, b, options));
  const keeper = sorted[0]!;
  const rest = sorted.slice(1);
  return { keeper, remove: rest.filter((m) => !m.reference), protected: rest.filter((m) => m.reference) };
}
