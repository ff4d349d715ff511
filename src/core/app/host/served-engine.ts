/** Adapts the core Engine to what transports serve: its contract and events plus the thumbnail cache. */
import type { Engine } from '../engine.js';
import { catalogThumbSource, createThumbnails } from '../../thumbs/thumbnails.js';
import type { ServedEngine } from '../../../shared/engine-port.js';

/**
 * Media reach a transport only by item id, and an item's file only from inside its own collection's folders:
 * the catalog path is resolved (links, `..`) at the moment of access and refused with PATH_OUTSIDE_ROOTS when it
 * leads out. Cached thumbnails live in the data folder and are served without touching the original.
 */
export function toServedEngine(engine: Engine): ServedEngine & { close(): Promise<void> } {
  const thumbs = createThumbnails({
    dataDir: engine.dataDir,
    source: catalogThumbSource(engine.catalog),
    resolveFile: (id) => engine.library.itemFile(id),
  });
  return {
    api: engine.api,
    events: engine.events,
    thumbnail: (id, size) => thumbs.thumbnail(id, size),
    imagePath: (id) => thumbs.imagePath(id),
    close: () => engine.close(),
  };
}
