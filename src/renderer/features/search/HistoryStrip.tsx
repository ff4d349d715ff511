/** The last queries as a strip of small tiles: one click asks one again; "Clear" forgets them all. */
import { SearchIcon } from '../../components/Icons';
import { useI18n } from '../../i18n';
import type { HistoryEntry } from './use-history';

interface Props {
  entries: readonly HistoryEntry[];
  thumbs: ReadonlyMap<number, string>;
  /** The entry the current query came from, if any (shown pressed). */
  current: number | null;
  onOpen: (entry: HistoryEntry) => void;
  onClear: () => void;
}

export function HistoryStrip({ entries, thumbs, current, onOpen, onClear }: Props) {
  const { t, lang } = useI18n();
  if (entries.length === 0) return null;
  return (
    <section className="history" aria-label={t.history.title} data-testid="history">
      <span className="history-title muted small">{t.history.title}</span>
      <ul className="history-list">
        {entries.map((e) => {
          const thumb = thumbs.get(e.id);
          const when = new Date(e.usedAt).toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' });
          const what = e.crop ? `${e.label} · ${t.history.cropped}` : e.label;
          return (
            <li key={e.id}>
              <button
                type="button"
                className={`history-entry history-${e.kind}`}
                aria-pressed={current === e.id}
                aria-label={t.history.open(what)}
                title={`${what}\n${when}`}
                data-testid="history-entry"
                data-kind={e.kind}
                onClick={() => onOpen(e)}
              >
                {e.kind === 'text' || !thumb ? (
                  <span className="history-text">
                    <SearchIcon size={12} />
                    <span>{e.label}</span>
                  </span>
                ) : (
                  <img src={thumb} alt="" draggable={false} />
                )}
                {e.crop && e.kind !== 'text' && <span className="history-crop" aria-hidden="true" />}
              </button>
            </li>
          );
        })}
      </ul>
      <button type="button" className="link-button small" onClick={onClear} data-testid="history-clear">
        {t.history.clear}
      </button>
    </section>
  );
}
