/**
 * Which copy of a duplicate group to keep, by an ordered list of rules the user chooses (the first rule that
 * tells two files apart decides; the next ones break ties), and which copies may go: never a file under a
 * reference folder, never the keeper.
 */
import { missingCase } from '../../shared/errors.js';

export const KEEPER_RULES = ['largest-pixels', 'largest-file', 'oldest', 'newest', 'shortest-path', 'preferred-folder'] as const;
export type KeeperRule = (typeof KEEPER_RULES)[number];

/** What the rules look at. */
export interface KeeperCandidate {
  id: number;
  path: string;
  size: number;
  mtimeMs: number;
  width: number | null;
  height: number | null;
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

export const DEFAULT_KEEPER_RULES: readonly KeeperRule[] = ['largest-pixels', 'largest-file', 'oldest', 'shortest-path'];

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
      return (b.width ?? 0) * (b.height ?? 0) - (a.width ?? 0) * (a.height ?? 0);
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
