/** The query image: a drop target with a file picker when empty, the crop box once an image is chosen. */
import { useRef } from 'react';
import type { ErrorPayload } from '../../../shared/errors';
import { ImageIcon } from '../../components/Icons';
import { useI18n } from '../../i18n';
import { toPayload } from '../../lib/errors';
import { CropBox } from './CropBox';
import type { Rect } from './crop-geometry';
import { fromFile, type QueryImage } from './query-input';

interface Props {
  query: QueryImage | null;
  crop: Rect | null;
  /** Objects found in the whole image (main first), each a one-click crop. */
  objects?: readonly Rect[] | null;
  onQuery: (q: QueryImage) => void;
  onCrop: (crop: Rect | null) => void;
  onError: (e: ErrorPayload) => void;
}

const sameRect = (a: Rect | null, b: Rect) => a !== null && a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;

export function QueryPanel({ query, crop, objects, onQuery, onCrop, onError }: Props) {
  const { t } = useI18n();
  const input = useRef<HTMLInputElement>(null);

  const picker = (
    <input
      ref={input}
      type="file"
      accept="image/*"
      hidden
      data-testid="file-input"
      onChange={(e) => {
        const file = e.target.files?.[0];
        e.target.value = '';
        if (file) fromFile(file).then(onQuery, (err: unknown) => onError(toPayload(err)));
      }}
    />
  );

  if (!query) {
    return (
      <section className="query query-empty" aria-label={t.query.title} data-testid="query-panel">
        <ImageIcon size={32} />
        <strong>{t.query.dropHere}</strong>
        <span className="muted small">{t.query.dropHint}</span>
        <button type="button" className="button button-primary" onClick={() => input.current?.click()}>
          {t.query.pick}
        </button>
        {picker}
      </section>
    );
  }

  return (
    <section className="query" aria-label={t.query.title} data-testid="query-panel">
      <CropBox src={query.previewUrl} alt={query.label} sourceSize={query.sourceSize} crop={crop} objects={objects ?? []} onCropChange={onCrop} />
      {objects && objects.length > 0 && (
        <div className="query-objects small" data-testid="query-objects">
          <span className="muted">{t.query.objectsFound}</span>
          {objects.map((o, i) => (
            <button
              key={`${o.x},${o.y},${o.width},${o.height}`}
              type="button"
              className={`chip${sameRect(crop, o) ? ' chip-active' : ''}`}
              aria-pressed={sameRect(crop, o)}
              aria-label={t.query.objectLabel(i + 1)}
              data-testid="object-chip"
              onClick={() => onCrop(sameRect(crop, o) ? null : o)}
            >
              {t.query.object(i + 1)}
            </button>
          ))}
        </div>
      )}
      <div className="query-foot">
        <span className="query-label" title={query.label}>
          {query.label}
        </span>
        <button type="button" className="link-button small" onClick={() => input.current?.click()}>
          {t.query.replace}
        </button>
      </div>
      <div className="query-hint small">
        {crop ? (
          <span className="query-crop">
            <span className="muted" data-testid="crop-size">
              {crop.width} × {crop.height} px
            </span>
            <button type="button" className="link-button" onClick={() => onCrop(null)}>
              {t.query.clearCrop}
            </button>
          </span>
        ) : (
          <span className="muted">{t.query.cropHint}</span>
        )}
      </div>
      {picker}
    </section>
  );
}
