/** What a side-by-side comparison shows of a file, and which of those facts differ between two files. */
import type { DupeItem } from './use-duplicates';

/** What the facts are read from: any catalog item (a duplicate, or one side of a match). */
export type FactItem = Pick<DupeItem, 'id' | 'path' | 'size' | 'width' | 'height' | 'format' | 'mtimeMs'>;

export const FACTS = ['size', 'resolution', 'format', 'date', 'folder'] as const;
export type Fact = (typeof FACTS)[number];

/** The folder part of a path, for either separator. */
export function folderOf(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut > 0 ? path.slice(0, cut) : path;
}

export function factKey(item: FactItem, fact: Fact): string {
  switch (fact) {
    case 'size':
      return String(item.size);
    case 'resolution':
      return `${item.width ?? '?'}x${item.height ?? '?'}`;
    case 'format':
      return (item.format ?? '').toLowerCase();
    case 'date':
      // Same minute reads as the same date: copies made by tools often differ by milliseconds.
      return String(Math.floor(item.mtimeMs / 60_000));
    case 'folder':
      return folderOf(item.path);
  }
}

export function differs(a: FactItem, b: FactItem, fact: Fact): boolean {
  return factKey(a, fact) !== factKey(b, fact);
}
