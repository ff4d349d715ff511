/** The whole window: library on the left; query, filters and results on the right; details on top. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ErrorPayload } from '../shared/errors';
import { imagePath } from '../shared/web';
import { EmptyState } from './components/EmptyState';
import { ErrorNotice } from './components/ErrorNotice';
import { ImageIcon, LibraryIcon, LogoMark, SearchIcon } from './components/Icons';
import { LibraryPanel } from './features/library/LibraryPanel';
import { useLibrary } from './features/library/use-library';
import { BrowseView } from './features/browse/BrowseView';
import { DuplicatesView } from './features/duplicates/DuplicatesView';
import { MatchView } from './features/match/MatchView';
import { SettingsView } from './features/settings/SettingsView';
import { DetailView } from './features/search/DetailView';
import { ProductFilterBar } from './features/search/ProductFilterBar';
import { QueryPanel } from './features/search/QueryPanel';
import { ResultsGrid } from './features/search/ResultsGrid';
import { SearchControls } from './features/search/SearchControls';
import { useDropAndPaste } from './features/search/use-drop-and-paste';
import { useSearch, type SearchHit } from './features/search/use-search';
import { HistoryStrip } from './features/search/HistoryStrip';
import { useHistory, type HistoryEntry } from './features/search/use-history';
import { LANGUAGES, useI18n, type Language } from './i18n';
import { useClient } from './lib/client-context';
import { baseName, formatMs } from './lib/format';
import { toPayload } from './lib/errors';

const VIEWS = ['search', 'browse', 'duplicates', 'match', 'settings'] as const;
type View = (typeof VIEWS)[number];

export function App() {
  const { t, lang, setLang } = useI18n();
  const client = useClient();
  const search = useSearch();
  const library = useLibrary(search.rerun);
  const [active, setActive] = useState(-1);
  const [detail, setDetail] = useState<number | null>(null);
  const [inputError, setInputError] = useState<ErrorPayload | null>(null);
  const [view, setView] = useState<View>('search');
  const gridRef = useRef<HTMLDivElement>(null);

  const { setQuery } = search;
  const onQuery = useCallback(
    (q: Parameters<typeof setQuery>[0]) => {
      setInputError(null);
      setView('search');
      setQuery(q);
    },
    [setQuery],
  );
  // A file that cannot be a query replaces the previous one too: its label, image and results must not stay on
  // screen as if they answered it.
  const onInputError = useCallback(
    (e: ErrorPayload) => {
      setInputError(e);
      setQuery(null);
    },
    [setQuery],
  );
  const dragging = useDropAndPaste(onQuery, onInputError);
  const history = useHistory();
  // The history entry the current query was opened from (cleared by any other query).
  const [fromHistory, setFromHistory] = useState<{ id: number; query: unknown } | null>(null);
  const currentEntry = fromHistory && fromHistory.query === (search.query?.query ?? null) ? fromHistory.id : null;
  const openHistory = async (entry: HistoryEntry) => {
    try {
      const restored = await history.restore(entry);
      setInputError(null);
      setDetail(null);
      search.restore(restored);
      setFromHistory({ id: entry.id, query: restored.query?.query ?? null });
    } catch (err) {
      setInputError(toPayload(err));
    }
  };

  // Closing the detail view gives the keyboard back to the grid, on the result just viewed (opened by a click, the
  // dialog had no focused element to restore). After the dialog is gone: while it is open the grid is inert.
  const detailOpen = detail !== null;
  const wasOpen = useRef(false);
  useEffect(() => {
    if (wasOpen.current && !detailOpen) gridRef.current?.focus();
    wasOpen.current = detailOpen;
  }, [detailOpen]);

  // A new ranking starts with nothing selected.
  useEffect(() => {
    setActive(-1);
    setDetail(null);
  }, [search.hits]);

  const searchSimilar = (hit: Pick<SearchHit, 'id' | 'path' | 'width' | 'height'>) => {
    setDetail(null);
    onQuery({
      query: { kind: 'item', id: hit.id },
      previewUrl: client.mediaUrl(imagePath(hit.id)),
      label: t.query.fromCatalog(baseName(hit.path)),
      sourceSize: hit.width && hit.height ? { width: hit.width, height: hit.height } : null,
    });
  };

  const collections = library.collections ?? [];
  const collectionNames = useMemo(() => collections.map((c) => c.name), [collections]);
  const roots = useMemo(() => collections.flatMap((c) => c.roots), [collections]);
  const itemCount = (library.stats?.itemCount ?? 0) + (library.stats?.pendingCount ?? 0);
  const hits = search.hits;
  const error = inputError ?? search.error;

  let results;
  if (hits && hits.length > 0) {
    results = <ResultsGrid hits={hits} active={active} onActiveChange={setActive} onOpen={setDetail} gridRef={gridRef} />;
  } else if (library.collections && collections.length === 0) {
    results = <EmptyState icon={<LibraryIcon size={36} />}>{t.results.noLibrary}</EmptyState>;
  } else if (!search.query && !search.textOnly) {
    results = <EmptyState icon={<SearchIcon size={36} />}>{t.results.noQuery}</EmptyState>;
  } else if (hits && !search.loading) {
    results = <EmptyState icon={<ImageIcon size={36} />}>{search.textOnly ? t.results.noTextResults : t.results.noResults}</EmptyState>;
  } else {
    results = null;
  }

  return (
    <div className={`app ${dragging ? 'is-dragging' : ''}`}>
      <header className="topbar">
        <div className="brand">
          <LogoMark />
          <h1>{t.appName}</h1>
          <span className="muted small tagline">{t.tagline}</span>
        </div>
        <nav className="view-tabs segmented" aria-label={t.tabs.label}>
          {VIEWS.map((v) => (
            <button key={v} type="button" aria-pressed={view === v} onClick={() => setView(v)} data-testid={`tab-${v}`}>
              {t.tabs[v]}
            </button>
          ))}
        </nav>
        <div className="topbar-right">
          {library.stats && (
            <span className="muted small" data-testid="stats">
              {t.stats(itemCount, collections.length)}
            </span>
          )}
          <div className="segmented" role="group" aria-label={t.language}>
            {(Object.keys(LANGUAGES) as Language[]).map((l) => (
              <button key={l} type="button" aria-pressed={lang === l} lang={l} onClick={() => setLang(l)}>
                {LANGUAGES[l].label}
              </button>
            ))}
          </div>
        </div>
      </header>

      <LibraryPanel
        collections={library.collections}
        progress={library.progress}
        last={library.last}
        error={library.error}
        clearError={library.clearError}
        act={library.act}
      />

      {/* Every view stays mounted (hidden when not shown), so its results, selections and pickers survive a tab switch. */}
      <main className="workspace" aria-label={t.tabs.duplicates} hidden={view !== 'duplicates'}>
        <DuplicatesView collectionNames={collectionNames} roots={roots} onLibraryChanged={library.changed} />
      </main>
      <main className="workspace" aria-label={t.tabs.match} hidden={view !== 'match'}>
        <MatchView collectionNames={collectionNames} />
      </main>
      <main className="workspace" aria-label={t.tabs.browse} hidden={view !== 'browse'}>
        <BrowseView visible={view === 'browse'} collections={collections} onOpen={searchSimilar} />
      </main>
      <main className="workspace" aria-label={t.tabs.settings} hidden={view !== 'settings'}>
        <SettingsView collections={collections} progress={library.progress} act={library.act} />
      </main>
      <main className="workspace" aria-label={t.results.title} hidden={view !== 'search'}>
        <div className="search-bar">
          <QueryPanel
            query={search.query}
            crop={search.crop}
            objects={search.objects}
            onQuery={onQuery}
            onCrop={search.setCrop}
            onError={onInputError}
          />
          <div className="search-side">
            <SearchControls
              filters={search.filters}
              collectionNames={collectionNames}
              onChange={search.setFilters}
            />
            <ProductFilterBar value={search.product} onChange={search.setProduct} />
            <HistoryStrip
              entries={history.entries}
              thumbs={history.thumbs}
              current={currentEntry}
              onOpen={(e) => void openHistory(e)}
              onClear={() => void history.clear()}
            />
            <div className="results-status" aria-live="polite" data-testid="results-status">
              {search.loading ? (
                <span className="muted">{t.results.searching}</span>
              ) : hits ? (
                <span>{t.results.count(hits.length, formatMs(search.queryMs))}</span>
              ) : null}
            </div>
            {search.downscaled && !search.loading && (
              <p className="notice notice-info small" role="status" data-testid="downscaled-notice">
                {t.query.downscaled(search.downscaled.width, search.downscaled.height, search.downscaled.maxPixels.toLocaleString(lang))}
              </p>
            )}
            {error && (
              <ErrorNotice
                error={error}
                onDismiss={() => {
                  setInputError(null);
                  search.clearError();
                }}
              />
            )}
          </div>
        </div>
        <div className="results">{results}</div>
        {dragging && (
          <div className="drop-overlay" aria-hidden="true">
            <ImageIcon size={40} />
            <span>{t.query.dropActive}</span>
          </div>
        )}
      </main>

      {detail !== null && hits && (
        <DetailView
          hits={hits}
          index={detail}
          onIndexChange={(i) => {
            setDetail(i);
            setActive(i);
          }}
          onClose={() => setDetail(null)}
          onSearchSimilar={searchSimilar}
          onFindText={(text) => {
            setDetail(null);
            setQuery(null);
            search.setProduct({ ...search.product, text });
          }}
        />
      )}
    </div>
  );
}
