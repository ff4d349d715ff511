/**
 * The match workspace: our collection against theirs. Each of our items beside its matches (score, verdict,
 * accept / reject), filters by verdict, the two gap lists, and the CSV export.
 */
import { useEffect, useId, useState } from 'react';
import { thumbPath } from '../../../shared/web';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ImageIcon, LibraryIcon } from '../../components/Icons';
import { Modal } from '../../components/Modal';
import { ComparePane } from '../duplicates/ComparePane';
import { useI18n } from '../../i18n';
import { useClient } from '../../lib/client-context';
import { baseName, formatChance, formatMs } from '../../lib/format';
import { VerdictBadge, useVerdictText } from '../../components/VerdictBadge';
import { useMatch, type MatchHit, type MatchItem, type MatchRow } from './use-match';

const FILTERS = ['all', 'same', 'similar', 'none', 'theirs'] as const;
type Filter = (typeof FILTERS)[number];
const K_CHOICES = [1, 3, 5, 10] as const;

/** A row's verdict: its best match the user did not reject, or none. */
function rowVerdict(row: MatchRow): 'same' | 'similar' | 'none' {
  const best = row.matches.find((m) => m.decision !== 'rejected');
  return best ? best.verdict : 'none';
}

const PAIR_KEY = 'lookalike.match.pair';

/** The last pair of collections compared (kept across tabs and reloads). */
function savedPair(): { ours: string | null; theirs: string | null } {
  try {
    const v = JSON.parse(localStorage.getItem(PAIR_KEY) ?? 'null') as { ours?: unknown; theirs?: unknown } | null;
    return { ours: typeof v?.ours === 'string' ? v.ours : null, theirs: typeof v?.theirs === 'string' ? v.theirs : null };
  } catch {
    return { ours: null, theirs: null };
  }
}

export function MatchView({ collectionNames }: { collectionNames: string[] }) {
  const { t } = useI18n();
  const verdictText = useVerdictText();
  const ids = useId();
  const match = useMatch();
  const [picks, setPicks] = useState(savedPair);
  // Until the user picks, the first collection is ours and the next one theirs (collections load and change).
  const valid = (c: string | null) => (c !== null && collectionNames.includes(c) ? c : null);
  const ours = valid(picks.ours) ?? collectionNames[0] ?? '';
  const theirs = valid(picks.theirs) ?? collectionNames.find((n) => n !== ours) ?? ours;
  const choose = (side: 'ours' | 'theirs', name: string) => {
    const next = { ours, theirs, [side]: name };
    localStorage.setItem(PAIR_KEY, JSON.stringify(next));
    setPicks(next);
  };
  const [k, setK] = useState(3);
  const [oneToOne, setOneToOne] = useState(false);
  const [filter, setFilter] = useState<Filter>('all');
  const [exported, setExported] = useState<number | null>(null);
  const [comparing, setComparing] = useState<{ ours: MatchItem; hit: MatchHit } | null>(null);
  // Rows decided under the current filter stay on screen (marked, with undo) instead of vanishing from it.
  const [pinned, setPinned] = useState<ReadonlySet<number>>(new Set());
  useEffect(() => setPinned(new Set()), [filter, match.result?.thresholds]);
  const decide = (ours: MatchItem, hit: MatchHit, d: MatchHit['decision']) => {
    setPinned((prev) => new Set(prev).add(ours.id));
    void match.decide(ours.id, hit.item.id, d);
    setComparing((c) => (c && c.hit.item.id === hit.item.id && c.ours.id === ours.id ? { ours, hit: { ...hit, decision: d } } : c));
  };

  const result = match.result;
  const counts = { all: 0, same: 0, similar: 0, none: 0, theirs: result?.unmatchedTheirs.length ?? 0 };
  // "Ours with no match" is the engine's gap list: no `same` match (a lookalike is not the product), so a row whose
  // best match is only similar is listed under both.
  const gap = new Set((result?.unmatchedOurs ?? []).map((i) => i.id));
  for (const row of result?.rows ?? []) {
    counts.all += 1;
    const v = rowVerdict(row);
    if (v !== 'none') counts[v] += 1;
    if (gap.has(row.ours.id)) counts.none += 1;
  }

  const exportCsv = async () => {
    const out = await match.exportCsv();
    if (!out) return;
    const url = URL.createObjectURL(new Blob([out.csv], { type: 'text/csv;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `match-${match.params!.ours}-vs-${match.params!.theirs}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    setExported(out.rows);
  };

  let body;
  if (collectionNames.length === 0) {
    body = <EmptyState icon={<LibraryIcon size={36} />}>{t.results.noLibrary}</EmptyState>;
  } else if (!result) {
    body = <EmptyState icon={<ImageIcon size={36} />}>{match.loading ? t.match.running : t.match.intro}</EmptyState>;
  } else if (filter === 'theirs') {
    body =
      result.unmatchedTheirs.length === 0 ? (
        <EmptyState icon={<ImageIcon size={36} />}>{t.match.noGap}</EmptyState>
      ) : (
        <ul className="gap-grid" data-testid="theirs-gap">
          {result.unmatchedTheirs.map((item) => (
            <li key={item.id}>
              <ItemCard item={item} />
            </li>
          ))}
        </ul>
      );
  } else {
    const rows = result.rows.filter((r) => filter === 'all' || (filter === 'none' ? gap.has(r.ours.id) : rowVerdict(r) === filter) || pinned.has(r.ours.id));
    body =
      rows.length === 0 ? (
        <EmptyState icon={<ImageIcon size={36} />}>{t.match.noRows}</EmptyState>
      ) : (
        <ul className="match-rows" aria-label={t.match.rowsLabel}>
          {rows.map((row) => (
            <li key={row.ours.id} className="match-row" data-testid="match-row" data-verdict={rowVerdict(row)} data-name={baseName(row.ours.path)}>
              <ItemCard item={row.ours} ours />
              <div className="match-hits">
                {row.matches.length === 0 ? (
                  <span className="muted">{t.match.noMatch}</span>
                ) : (
                  row.matches.map((hit) => (
                    <HitCard
                      key={hit.item.id}
                      hit={hit}
                      onDecide={(d) => decide(row.ours, hit, d)}
                      onOpen={() => setComparing({ ours: row.ours, hit })}
                    />
                  ))
                )}
              </div>
            </li>
          ))}
        </ul>
      );
  }

  return (
    <div className="dupes match" data-testid="match-view">
      <div className="dupes-toolbar">
        <label className="control">
          <span>{t.match.ours}</span>
          <select value={ours} onChange={(e) => choose('ours', e.target.value)} data-testid="match-ours">
            {collectionNames.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label className="control">
          <span>{t.match.theirs}</span>
          <select value={theirs} onChange={(e) => choose('theirs', e.target.value)} data-testid="match-theirs">
            {collectionNames.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label className="control">
          <span>{t.match.k}</span>
          <select value={k} onChange={(e) => setK(Number(e.target.value))}>
            {K_CHOICES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label className="control control-check" title={t.scores.oneToOneHint}>
          <input type="checkbox" checked={oneToOne} onChange={(e) => setOneToOne(e.target.checked)} />
          <span>{t.match.oneToOne}</span>
        </label>
        <button
          type="button"
          className="button button-primary"
          disabled={match.loading || !ours || !theirs}
          onClick={() => {
            setExported(null);
            void match.run({ ours, theirs, k, oneToOne });
          }}
        >
          {match.loading ? t.match.running : t.match.run}
        </button>
        {result && (
          <button type="button" className="button" onClick={() => void exportCsv()} data-testid="match-export">
            {t.match.export}
          </button>
        )}
        <div className="dupes-totals" aria-live="polite" data-testid="match-summary">
          {result && (
            <>
              <strong>{t.match.summary(counts.same, counts.similar, counts.none)}</strong>
              <span className="muted small">
                {result.thresholds.calibration
                  ? t.scores.matchCalibrated(
                      formatChance(result.thresholds.calibration.same),
                      formatChance(result.thresholds.calibration.similar),
                      t.scores.source[result.thresholds.calibration.source],
                    )
                  : t.match.thresholds(result.thresholds.same.toFixed(3), result.thresholds.similar.toFixed(3), t.match.source[result.thresholds.source])}{' '}
                ·{' '}
                {formatMs(result.seconds * 1000)}
              </span>
            </>
          )}
        </div>
      </div>
      {result && (
        <div className="match-filters segmented" role="group" aria-label={t.match.filterLabel} id={`${ids}-f`}>
          {FILTERS.map((f) => (
            <button key={f} type="button" aria-pressed={filter === f} onClick={() => setFilter(f)} data-testid={`filter-${f}`}>
              {t.match.filter[f]} <span className="filter-count">{counts[f]}</span>
            </button>
          ))}
        </div>
      )}
      {match.error && <ErrorNotice error={match.error} onDismiss={match.clearError} />}
      {exported !== null && (
        <div className="notice notice-ok" role="status" data-testid="match-exported">
          <span>{t.match.exported(exported)}</span>
          <button type="button" className="icon-button" onClick={() => setExported(null)} aria-label={t.dismiss} title={t.dismiss}>
            ×
          </button>
        </div>
      )}
      <div className="match-main">{body}</div>
      {comparing && (
        <Modal label={t.match.compareTitle} onClose={() => setComparing(null)} className="match-compare">
          <ComparePane
            title={t.match.compareTitle}
            left={{ item: comparing.ours, chip: t.match.ours, chipClass: 'role-keeper' }}
            right={{ item: comparing.hit.item, chip: t.match.theirs, chipClass: 'role-remove' }}
            relation={{ label: t.match.similarity, value: verdictText(comparing.hit, 'image').text }}
            onClose={() => setComparing(null)}
            actions={
              <Decide
                hit={comparing.hit}
                name={baseName(comparing.hit.item.path)}
                onDecide={(d) => decide(comparing.ours, comparing.hit, d)}
              />
            }
          />
        </Modal>
      )}
    </div>
  );
}

function ItemCard({ item, ours }: { item: MatchItem; ours?: boolean }) {
  const client = useClient();
  const p = item.product;
  return (
    <div className={`match-item ${ours ? 'is-ours' : ''}`}>
      <img src={client.mediaUrl(thumbPath(item.id, 256))} alt="" loading="lazy" />
      <div className="match-item-text">
        <span className="member-name" title={item.path}>
          {p?.title ?? baseName(item.path)}
        </span>
        <span className="muted small">{p ? `${p.sku}${p.brand ? ` · ${p.brand}` : ''}` : item.collection}</span>
      </div>
    </div>
  );
}

function HitCard({ hit, onDecide, onOpen }: { hit: MatchHit; onDecide: (d: MatchHit['decision']) => void; onOpen: () => void }) {
  const { t } = useI18n();
  const client = useClient();
  const name = baseName(hit.item.path);
  return (
    <div className={`match-hit decision-${hit.decision ?? 'open'}`} data-testid="match-hit" data-name={name} data-decision={hit.decision ?? ''}>
      <button type="button" className="match-thumb" onClick={onOpen} aria-label={t.match.compareWith(name)} data-testid="match-open">
        <img src={client.mediaUrl(thumbPath(hit.item.id, 256))} alt="" loading="lazy" />
      </button>
      <div className="match-item-text">
        <span className="member-name" title={hit.item.path}>
          {hit.item.product?.title ?? name}
        </span>
        <span>
          <VerdictBadge hit={hit} kind="image" className={`verdict-chip verdict-${hit.verdict}`} />
        </span>
        <Decide hit={hit} name={name} onDecide={onDecide} />
      </div>
    </div>
  );
}

/** Accept / reject a pair (each a toggle); a decided pair says so and offers its undo in place. */
function Decide({ hit, name, onDecide }: { hit: MatchHit; name: string; onDecide: (d: MatchHit['decision']) => void }) {
  const { t } = useI18n();
  return (
    <span className="match-decide">
      <button
        type="button"
        className="button button-small"
        aria-pressed={hit.decision === 'accepted'}
        aria-label={t.match.acceptLabel(name)}
        onClick={() => onDecide(hit.decision === 'accepted' ? null : 'accepted')}
      >
        ✓ {hit.decision === 'accepted' ? t.match.accepted : t.match.accept}
      </button>
      <button
        type="button"
        className="button button-small"
        aria-pressed={hit.decision === 'rejected'}
        aria-label={t.match.rejectLabel(name)}
        onClick={() => onDecide(hit.decision === 'rejected' ? null : 'rejected')}
      >
        ✕ {hit.decision === 'rejected' ? t.match.rejected : t.match.reject}
      </button>
      {hit.decision && (
        <button type="button" className="link-button small" aria-label={t.match.undoLabel(name)} onClick={() => onDecide(null)} data-testid="decision-undo">
          {t.match.undo}
        </button>
      )}
    </span>
  );
}
