/**
 * Settings: theme and language (remembered by this browser profile), OCR and downscaled indexing per collection and
 * the image model (remembered by the data folder). Switching the model re-embeds every photo; its progress shows here.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ErrorPayload } from '../../../shared/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { LANGUAGES, useI18n, type Language } from '../../i18n';
import type { Output } from '../../lib/api';
import { useClient } from '../../lib/client-context';
import { toPayload, unwrap } from '../../lib/errors';
import { THEMES, useTheme } from '../../lib/theme';
import type { Collection, Progress } from '../library/use-library';

type Models = Output<'modelsList'>;

interface Props {
  collections: Collection[];
  progress: Progress | null;
  act: <T>(op: () => Promise<T>) => Promise<T | undefined>;
}

const FINAL: ReadonlySet<string> = new Set(['done', 'cancelled', 'failed']);

export function SettingsView({ collections, progress, act }: Props) {
  const { t, lang, setLang } = useI18n();
  const client = useClient();
  const [theme, setTheme] = useTheme();
  const [models, setModels] = useState<Models | null>(null);
  const [error, setError] = useState<ErrorPayload | null>(null);
  const [reading, setReading] = useState<Record<string, string>>({});
  // What the user just chose, shown until the reloaded collection list says the same.
  const [ocrChosen, setOcrChosen] = useState<Record<string, boolean>>({});

  const loadModels = useCallback(() => {
    unwrap(client.api.modelsList({})).then(setModels, (err: unknown) => setError(toPayload(err)));
  }, [client]);
  useEffect(loadModels, [loadModels]);
  const reembed = progress?.kind === 'reembed' ? progress : null;
  const reembedEnded = reembed !== null && FINAL.has(reembed.phase);
  useEffect(() => {
    if (reembedEnded) loadModels();
  }, [reembedEnded, loadModels]);
  const jobRunning = progress !== null && !FINAL.has(progress.phase);

  useEffect(() => {
    setOcrChosen((chosen) => {
      const left = Object.fromEntries(Object.entries(chosen).filter(([name, on]) => collections.find((c) => c.name === name)?.ocr !== on));
      return Object.keys(left).length === Object.keys(chosen).length ? chosen : left;
    });
  }, [collections]);

  const setOcr = async (name: string, enabled: boolean) => {
    setError(null);
    setOcrChosen((c) => ({ ...c, [name]: enabled }));
    const done = await act(async () => {
      await unwrap(client.api.ocrConfigure({ collection: name, enabled }));
      if (!enabled) return null;
      setReading((r) => ({ ...r, [name]: t.settings.ocrReading }));
      return unwrap(client.api.ocrRun({ collection: name }));
    });
    setReading((r) => {
      const { [name]: _, ...rest } = r;
      return done ? { ...rest, [name]: t.settings.ocrRead(done.withText) } : rest;
    });
    // A failed switch shows the stored state again.
    if (done === undefined) {
      setOcrChosen((c) => {
        const { [name]: _, ...rest } = c;
        return rest;
      });
    }
  };

  const useModel = async (id: string) => {
    setError(null);
    try {
      await unwrap(client.api.modelsUse({ id }));
    } catch (err) {
      setError(toPayload(err));
    }
  };

  return (
    <div className="settings" data-testid="settings">
      <h2 className="panel-title">{t.settings.title}</h2>
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}

      <section className="settings-section" aria-labelledby="settings-appearance">
        <h3 id="settings-appearance" className="section-title">
          {t.settings.appearance}
        </h3>
        <div className="settings-row">
          <span id="settings-theme">{t.settings.theme}</span>
          <div className="segmented" role="group" aria-labelledby="settings-theme" data-testid="theme">
            {THEMES.map((th) => (
              <button key={th} type="button" aria-pressed={theme === th} onClick={() => setTheme(th)} data-theme-choice={th}>
                {t.settings.themes[th]}
              </button>
            ))}
          </div>
        </div>
        <div className="settings-row">
          <span id="settings-language">{t.language}</span>
          <div className="segmented" role="group" aria-labelledby="settings-language">
            {(Object.keys(LANGUAGES) as Language[]).map((l) => (
              <button key={l} type="button" aria-pressed={lang === l} lang={l} onClick={() => setLang(l)}>
                {LANGUAGES[l].label}
              </button>
            ))}
          </div>
        </div>
      </section>

      <section className="settings-section" aria-labelledby="settings-ocr">
        <h3 id="settings-ocr" className="section-title">
          {t.settings.ocrTitle}
        </h3>
        <p className="muted small">{t.settings.ocrHint}</p>
        {collections.length === 0 && <p className="muted small">{t.settings.noCollections}</p>}
        <ul className="settings-list">
          {collections.map((c) => (
            <li key={c.id} className="settings-row">
              <label className="control control-check">
                <input
                  type="checkbox"
                  checked={ocrChosen[c.name] ?? c.ocr}
                  disabled={reading[c.name] === t.settings.ocrReading}
                  onChange={(e) => void setOcr(c.name, e.target.checked)}
                  data-testid="ocr-toggle"
                  data-ocr-collection={c.name}
                />
                <bdi>{c.name}</bdi>
              </label>
              {reading[c.name] && <span className="muted small" data-testid="ocr-status">{reading[c.name]}</span>}
            </li>
          ))}
        </ul>
      </section>

      <section className="settings-section" aria-labelledby="settings-downscale">
        <h3 id="settings-downscale" className="section-title">
          {t.settings.downscaleTitle}
        </h3>
        <p className="muted small">{t.settings.downscaleHint}</p>
        {collections.length === 0 && <p className="muted small">{t.settings.noCollections}</p>}
        <ul className="settings-list">
          {collections.map((c) => (
            <li key={c.id} className="settings-row">
              <label className="control control-check">
                <input
                  type="checkbox"
                  checked={c.downscale ?? false}
                  disabled={jobRunning}
                  // Kept as the collection's setting; the index run it starts retries the photos refused for their size.
                  onChange={(e) => void act(() => unwrap(client.api.indexStart({ collection: c.name, downscale: e.target.checked })))}
                  data-testid="downscale-toggle"
                  data-downscale-collection={c.name}
                />
                <bdi>{c.name}</bdi>
              </label>
            </li>
          ))}
        </ul>
      </section>

      <section className="settings-section" aria-labelledby="settings-model">
        <h3 id="settings-model" className="section-title">
          {t.settings.modelTitle}
        </h3>
        <p className="muted small">{t.settings.modelHint}</p>
        {reembed && (
          <div className="progress-card" data-testid="reembed-progress" data-phase={reembed.phase} aria-live="polite">
            <div className="progress-head">
              <strong>{t.settings.reembedPhase[reembed.phase]}</strong>
              {!FINAL.has(reembed.phase) && (
                <button type="button" className="button button-small" onClick={() => void unwrap(client.api.indexCancel({ jobId: reembed.jobId }))}>
                  {t.progress.cancel}
                </button>
              )}
            </div>
            <div className="progress-bar" role="progressbar" aria-valuemin={0} aria-valuemax={reembed.total} aria-valuenow={reembed.done}>
              <div className="progress-fill" style={{ width: `${reembed.total > 0 ? Math.min(100, (reembed.done / reembed.total) * 100) : 0}%` }} />
            </div>
            <span className="small" data-testid="reembed-counts">
              {t.settings.reembed(reembed.done, reembed.total)}
            </span>
          </div>
        )}
        <ul className="settings-list">
          {models?.models.map((m) => (
            <li key={m.id} className="settings-model" data-testid="model" data-model={m.id} data-active={m.active}>
              <div>
                <strong>{m.name}</strong> <span className="muted small mono">{m.id}</span>{' '}
                {m.active && <span className="tag tag-busy">{t.settings.active}</span>}
                {!m.available && <span className="tag tag-warn">{t.settings.unavailable}</span>}
                <div className="muted small">
                  {t.settings.dims(m.dim)} · {m.input.width}×{m.input.height}
                  {m.description ? ` · ${m.description}` : ''}
                </div>
              </div>
              {!m.active && (
                <button
                  type="button"
                  className="button button-small"
                  disabled={!m.available || jobRunning}
                  onClick={() => void useModel(m.id)}
                  data-testid="use-model"
                >
                  {t.settings.use}
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
