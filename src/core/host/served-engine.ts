/** Adapts the core Engine to what transports serve: its contract and events plus the thumbnail cache. */
import type { Engine } from '../engine.js';
import { catalogThumbSource, createThumbnails } from '../thumbs/thumbnails.js';
import type { ServedEngine } from '../../shared/engine-port.js';

export function toServedEngine(engine: Engine): ServedEngine & { close(): Promise<void> } {
  const thumbs = createThumbnails({ dataDir: engine.dataDir, source: catalogThumbSource(engine.catalog) });
  return {
    api: engine.api,
    events: engine.events,
    thumbnail: (id, size) => thumbs.thumbnail(id, size),
    imagePath: (id) => thumbs.imagePath(id),
    close: () => engine.close(),
  };
}
