/** Live indexing progress: phase, done/total, images per second, time left, failures, and cancel. */
import { useI18n } from '../../i18n';
import { useClient } from '../../lib/client-context';
import { unwrap } from '../../lib/errors';
import { formatDuration, formatRate } from '../../lib/format';
import type { IndexSummary, Progress } from './use-library';

interface Props {
  progress: Progress | null;
  last: IndexSummary | null;
  act: <T>(op: () => Promise<T>) => Promise<T | undefined>;
}

export function IndexProgressCard({ progress, last, act }: Props) {
  const { t, lang } = useI18n();
  const client = useClient();
  const running = progress !== null && !['done', 'cancelled', 'failed'].includes(progress.phase);

  if (!progress) {
    return last ? (
      <p className="muted small" data-testid="last-run">
        {t.progress.lastRun(last.indexed, last.failed, formatDuration(last.seconds), last.pending ?? 0)}
      </p>
    ) : null;
  }
  // A model switch reports on the same channel; it is not an index run.
  const phaseText = (progress.kind === 'reembed' ? t.settings.reembedPhase : t.progress.phase)[progress.phase];
  const pct = progress.total > 0 ? Math.min(100, (progress.done / progress.total) * 100) : 0;
  return (
    <section
      className={`progress-card phase-${progress.phase}`}
      data-testid="index-progress"
      data-phase={progress.phase}
      aria-live="polite"
    >
      <div className="progress-head">
        <strong>{phaseText}</strong>
        {running && (
          <button
            type="button"
            className="button button-small"
            onClick={() => void act(() => unwrap(client.api.indexCancel({ jobId: progress.jobId })))}
          >
            {t.progress.cancel}
          </button>
        )}
      </div>
      <div
        className="progress-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={progress.total}
        aria-valuenow={progress.done}
        aria-label={phaseText}
      >
        {/* Until the scan has counted the files there is no total: show activity, not a made-up fraction. */}
        <div className={`progress-fill ${progress.total === 0 && running ? 'indeterminate' : ''}`} style={{ width: `${pct}%` }} />
      </div>
      <div className="progress-meta">
        <span data-testid="progress-counts">{t.progress.counts(progress.done, progress.total)}</span>
        {running && progress.rate > 0 && <span>{t.progress.rate(formatRate(progress.rate, lang))}</span>}
        {running && progress.etaSeconds !== null && <span>{t.progress.eta(formatDuration(progress.etaSeconds))}</span>}
        {progress.failed > 0 && <span className="text-warn">{t.progress.failedCount(progress.failed)}</span>}
      </div>
    </section>
  );
}
