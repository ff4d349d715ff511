/** Top-k, minimum score, collection filter and sort: every change reruns or reorders the search. */
import { useId } from 'react';
import { useI18n } from '../../i18n';
import type { SearchFilters, SortKey } from './use-search';

const TOP_K = [10, 25, 50, 100, 200, 500] as const;
const SORTS: readonly SortKey[] = ['score', 'name', 'size', 'modified'];

interface Props {
  filters: SearchFilters;
  collectionNames: string[];
  onChange: (next: SearchFilters) => void;
}

export function SearchControls({ filters, collectionNames, onChange }: Props) {
  const { t } = useI18n();
  const id = useId();
  const set = (patch: Partial<SearchFilters>) => onChange({ ...filters, ...patch });
  const toggle = (name: string) =>
    set({
      collections: filters.collections.includes(name)
        ? filters.collections.filter((c) => c !== name)
        : [...filters.collections, name],
    });

  return (
    <div className="controls" role="group" aria-label={t.results.title}>
      <label className="control">
        <span>{t.controls.topK}</span>
        <select value={filters.k} onChange={(e) => set({ k: Number(e.target.value) })} data-testid="top-k">
          {TOP_K.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <label className="control control-slider" title={t.scores.minScoreHint}>
        <span>
          {t.controls.minScore} <output htmlFor={`${id}-min`}>{filters.minScore.toFixed(2)}</output>
        </span>
        <input
          id={`${id}-min`}
          type="range"
          min={0}
          max={1}
          step={0.01}
          value={filters.minScore}
          data-testid="min-score"
          onChange={(e) => set({ minScore: Number(e.target.value) })}
        />
      </label>
      <label className="control">
        <span>{t.controls.sort}</span>
        <select value={filters.sort} onChange={(e) => set({ sort: e.target.value as SortKey })} data-testid="sort">
          {SORTS.map((s) => (
            <option key={s} value={s}>
              {t.controls.sortBy[s]}
            </option>
          ))}
        </select>
      </label>
      {collectionNames.length > 1 && (
        <div className="control control-chips" role="group" aria-label={t.controls.collections}>
          <span>{t.controls.collections}</span>
          <div className="chips">
            <button
              type="button"
              className="chip"
              aria-pressed={filters.collections.length === 0}
              onClick={() => set({ collections: [] })}
            >
              {t.controls.allCollections}
            </button>
            {collectionNames.map((name) => (
              <button
                key={name}
                type="button"
                className="chip"
                aria-pressed={filters.collections.includes(name)}
                onClick={() => toggle(name)}
              >
                {name}
              </button>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}
