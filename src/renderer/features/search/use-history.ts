/**
 * The query history (history:*): the engine keeps it in the data folder, so it survives a reload and holds the
 * dropped photos themselves (a blob URL dies with the page). Reloaded whenever the engine says it changed.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ErrorPayload } from '../../../shared/errors';
import { imagePath, thumbPath } from '../../../shared/web';
import type { Output } from '../../lib/api';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';
import { latestGate } from '../../lib/latest';
import type { Rect } from './crop-geometry';
import type { QueryImage } from './query-input';
import { NO_PRODUCT_FILTERS, type ProductFilters } from './use-search';

export type HistoryEntry = Output<'historyList'>['entries'][number];

/** What going back to an entry sets: the query image (null for filters alone), its crop and the product filters. */
export interface RestoredQuery {
  query: QueryImage | null;
  crop: Rect | null;
  product: ProductFilters;
}

function mimeOf(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return 'image/png';
  if (bytes[0] === 0x47 && bytes[1] === 0x49) return 'image/gif';
  return 'image/webp';
}

export function base64Blob(base64: string): Blob {
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new Blob([bytes], { type: mimeOf(bytes) });
}

function toProductFilters(f: HistoryEntry['filter']): ProductFilters {
  if (!f) return NO_PRODUCT_FILTERS;
  return {
    text: f.text ?? '',
    category: (f.category ?? []).join(', '),
    brand: (f.brand ?? []).join(', '),
    priceMin: f.priceMin === undefined ? '' : String(f.priceMin),
    priceMax: f.priceMax === undefined ? '' : String(f.priceMax),
  };
}

export function useHistory() {
  const client = useClient();
  const [entries, setEntries] = useState<HistoryEntry[]>([]);
  // Thumbnails as blob URLs (the CSP allows no data: images), one per entry id, revoked when the entry goes.
  const [thumbs, setThumbs] = useState<Map<number, string>>(new Map());
  const [error, setError] = useState<ErrorPayload | null>(null);

  // A change event and a clear each reload the list: only the latest answer is shown (a list from before a clear,
  // answered last, would bring the cleared entries back).
  const [gate] = useState(latestGate);
  const refresh = useCallback(async () => {
    const current = gate.begin();
    try {
      const { entries: next } = await unwrap(client.api.historyList({}));
      if (!current()) return;
      setEntries(next);
      setThumbs((prev) => {
        const out = new Map<number, string>();
        for (const e of next) {
          const old = prev.get(e.id);
          if (old) out.set(e.id, old);
          else if (e.thumb) out.set(e.id, URL.createObjectURL(base64Blob(e.thumb)));
          else if (e.itemId !== null) out.set(e.id, client.mediaUrl(thumbPath(e.itemId, 128)));
        }
        for (const [id, url] of prev) if (!out.has(id) && url.startsWith('blob:')) URL.revokeObjectURL(url);
        return out;
      });
    } catch (err) {
      if (current()) setError(toPayload(err));
    }
  }, [client, gate]);

  useEffect(() => {
    void refresh();
    return client.events.historyOnChange(() => void refresh());
  }, [client, refresh]);

  /** The query an entry asks again. @throws ClientError / AppError payloads (NOT_FOUND when it was cleared meanwhile). */
  const restore = useCallback(
    async (entry: HistoryEntry): Promise<RestoredQuery> => {
      const product = toProductFilters(entry.filter);
      const crop = entry.crop;
      if (entry.kind === 'text') return { query: null, crop: null, product };
      if (entry.kind === 'item' && entry.itemId !== null) {
        const query: QueryImage = { query: { kind: 'item', id: entry.itemId }, previewUrl: client.mediaUrl(imagePath(entry.itemId)), label: entry.label, sourceSize: null };
        return { query, crop, product };
      }
      const { image } = await unwrap(client.api.historyGet({ id: entry.id }));
      if (!image) throw new Error('history entry without its photo');
      const query: QueryImage = {
        query: { kind: 'bytes', base64: image },
        previewUrl: URL.createObjectURL(base64Blob(image)),
        label: entry.label,
        sourceSize: entry.width && entry.height ? { width: entry.width, height: entry.height } : null,
      };
      return { query, crop, product };
    },
    [client],
  );

  const clear = useCallback(async () => {
    try {
      await unwrap(client.api.historyClear({}));
    } catch (err) {
      setError(toPayload(err));
    }
    await refresh();
  }, [client, refresh]);

  return { entries, thumbs, error, clearError: () => setError(null), restore, clear, refresh };
}
