import { describe, expect, it } from 'vitest';
import type { ApiParsedInput } from '../../../shared/api.js';
import { AppError } from '../../../shared/errors.js';
import type { LibraryService } from '../../library/library.service.js';
import type { QueryImage, SearchService } from '../../search/search.service.js';
import { searchHandlers } from './search.js';
import type { QueryHistory } from '../../search/query-history.js';

/** A search that records the query image it was given, over a library whose only folder is /roots. */
function fakes() {
  const queries: QueryImage[] = [];
  const search = { byImage: async (image: QueryImage) => (queries.push(image), []) } as unknown as SearchService;
  const library = {
    confinePath: async (path: string) => {
      if (!path.startsWith('/roots/')) throw new AppError('PATH_OUTSIDE_ROOTS', `${path} is outside the folders`);
      return path;
    },
    itemFile: async (id: number) => `/roots/item-${id}.jpg`,
  } as unknown as LibraryService;
  return { queries, search, library };
}

/** No query asks to be recorded here. */
const noHistory = {} as QueryHistory;

type WireImage = ApiParsedInput<'search:byImage'>['image'];
const input = (image: WireImage, crop?: { x: number; y: number; width: number; height: number }) => ({ image, k: 5, ...(crop ? { crop } : {}) });

describe('search handlers', () => {
  it('over a transport, read only files inside the collections folders', async () => {
    const { queries, search, library } = fakes();
    const h = searchHandlers({ search, library, history: noHistory, confine: true });
    await expect(h['search:byImage'](input({ kind: 'path', path: '/etc/passwd' }))).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOTS' });
    await h['search:byImage'](input({ kind: 'path', path: '/roots/a.jpg' }));
    // A crop of a catalog item reads its file, looked up by id and confined like a path.
    await h['search:byImage'](input({ kind: 'item', id: 7 }, { x: 0, y: 0, width: 10, height: 10 }));
    await h['search:byImage'](input({ kind: 'item', id: 8 }));
    expect(queries).toEqual([
      { kind: 'path', path: '/roots/a.jpg' },
      { kind: 'path', path: '/roots/item-7.jpg' },
      { kind: 'item', id: 8 },
    ]);
  });

  it('for the local shell, query any file as given', async () => {
    const { queries, search, library } = fakes();
    const h = searchHandlers({ search, library, history: noHistory, confine: false });
    await h['search:byImage'](input({ kind: 'path', path: '/etc/passwd' }));
    await h['search:byImage'](input({ kind: 'item', id: 7 }, { x: 0, y: 0, width: 10, height: 10 }));
    expect(queries).toEqual([
      { kind: 'path', path: '/etc/passwd' },
      { kind: 'item', id: 7 },
    ]);
  });
});
