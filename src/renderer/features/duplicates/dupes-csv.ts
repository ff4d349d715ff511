/**
 * The duplicates list as CSV, as the user sees it: every group's files with their role and whether they are ticked
 * for removal (the engine does not know the ticks, so the page writes it). Same writer as the match export.
 */
import { toCsv } from '../../../shared/csv';
import type { DupeGroup } from './use-duplicates';

export const DUPES_CSV_HEADER = [
  'group',
  'role',
  'selected_for_removal',
  'path',
  'collection',
  'agreement',
  'identical',
  'bytes',
  'width',
  'height',
  'format',
  'modified',
  'sku',
  'title',
] as const;

export function dupesCsv(groups: readonly DupeGroup[], selected: ReadonlySet<number>): string {
  const rows = groups.flatMap((g, n) =>
    g.items.map((i) => [
      n + 1,
      i.role,
      selected.has(i.id),
      i.path,
      i.collection,
      i.role === 'keeper' ? null : Number(i.score.toFixed(4)),
      i.role === 'keeper' ? null : i.identical,
      i.size,
      i.width,
      i.height,
      i.format,
      new Date(i.mtimeMs).toISOString(),
      i.product?.sku,
      i.product?.title,
    ]),
  );
  return toCsv(DUPES_CSV_HEADER, rows);
}
