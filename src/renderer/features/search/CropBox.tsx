/**
 * The query image with a crop box the user can draw (drag on the image), move (drag inside it) and resize
 * (drag its corner), or drive with the keyboard. The crop is reported in source-image pixels on release.
 */
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { ImageIcon } from '../../components/Icons';
import { useI18n } from '../../i18n';
import { isUsableCrop, moveRect, rectFromPoints, resizeRect, scaleRect, type Rect, type Size } from './crop-geometry';

interface Props {
  src: string;
  alt: string;
  /** Pixel size the engine crops in; defaults to the decoded image's natural size. */
  sourceSize: Size | null;
  crop: Rect | null;
  /** Objects found in the image, outlined; a click on one makes it the crop. */
  objects?: readonly Rect[];
  onCropChange: (crop: Rect | null) => void;
}

type Drag =
  | { mode: 'draw'; startX: number; startY: number }
  | { mode: 'move'; startX: number; startY: number; origin: Rect }
  | { mode: 'resize'; startX: number; startY: number; origin: Rect };

const MIN_DISPLAY_PX = 12;

export function CropBox({ src, alt, sourceSize, crop, objects = [], onCropChange }: Props) {
  const { t } = useI18n();
  const imgRef = useRef<HTMLImageElement>(null);
  const [natural, setNatural] = useState<Size | null>(null);
  const [shown, setShown] = useState<Size | null>(null);
  const [draft, setDraft] = useState<Rect | null>(null);
  const drag = useRef<Drag | null>(null);
  // The src the browser could not show (a file the engine may still read, or not): a placeholder, not a broken image.
  const [broken, setBroken] = useState<string | null>(null);

  const source = sourceSize ?? natural;

  // Track the rendered size: the crop is drawn in CSS pixels but stored in source pixels.
  useEffect(() => {
    const img = imgRef.current;
    if (!img) return;
    const observer = new ResizeObserver(() => setShown({ width: img.clientWidth, height: img.clientHeight }));
    observer.observe(img);
    return () => observer.disconnect();
  }, [src]);

  const displayCrop = draft ?? (crop && source && shown ? scaleRect(crop, source, shown) : null);

  const point = (e: PointerEvent): { x: number; y: number } => {
    const box = imgRef.current!.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  };

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (!shown || e.button !== 0) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    const p = point(e);
    const target = e.target as HTMLElement;
    const picked = target.dataset.role === 'object' ? objects[Number(target.dataset.index)] : undefined;
    if (picked) {
      drag.current = null;
      onCropChange(picked);
      return;
    }
    if (displayCrop && target.dataset.role === 'handle') {
      drag.current = { mode: 'resize', startX: p.x, startY: p.y, origin: displayCrop };
    } else if (displayCrop && target.dataset.role === 'crop') {
      drag.current = { mode: 'move', startX: p.x, startY: p.y, origin: displayCrop };
    } else {
      drag.current = { mode: 'draw', startX: p.x, startY: p.y };
      setDraft({ x: p.x, y: p.y, width: 0, height: 0 });
    }
  };

  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d || !shown) return;
    const p = point(e);
    if (d.mode === 'draw') setDraft(rectFromPoints(d.startX, d.startY, p.x, p.y, shown));
    else if (d.mode === 'move') setDraft(moveRect(d.origin, p.x - d.startX, p.y - d.startY, shown));
    else setDraft(resizeRect(d.origin, p.x - d.startX, p.y - d.startY, shown, MIN_DISPLAY_PX));
  };

  const onPointerUp = () => {
    const d = drag.current;
    drag.current = null;
    if (!d || !draft || !shown || !source) {
      setDraft(null);
      return;
    }
    setDraft(null);
    if (isUsableCrop(draft, source, shown)) onCropChange(scaleRect(draft, shown, source));
    else if (d.mode === 'draw') onCropChange(null); // a click outside the box clears the crop
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!crop || !source) return;
    const step = Math.max(1, Math.round(Math.max(source.width, source.height) / 50));
    const keys: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    if (e.key === 'Delete' || e.key === 'Backspace' || e.key === 'Escape') {
      e.preventDefault();
      onCropChange(null);
      return;
    }
    const delta = keys[e.key];
    if (!delta) return;
    e.preventDefault();
    onCropChange(
      e.shiftKey ? resizeRect(crop, delta[0], delta[1], source, 8) : moveRect(crop, delta[0], delta[1], source),
    );
  };

  if (broken === src) {
    return (
      <div className="crop-stage crop-broken" data-testid="query-broken">
        <ImageIcon size={28} />
        <span className="small">{t.query.noPreview}</span>
      </div>
    );
  }

  return (
    <div className="crop-stage">
      <img
        ref={imgRef}
        src={src}
        alt={alt}
        draggable={false}
        onLoad={(e) => setNatural({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })}
        onError={() => setBroken(src)}
      />
      <div
        className="crop-surface"
        data-testid="crop-surface"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      >
        {source &&
          shown &&
          !draft &&
          objects.map((o, i) => {
            const r = scaleRect(o, source, shown);
            return (
              <div
                key={`${o.x},${o.y},${o.width},${o.height}`}
                className="object-rect"
                data-role="object"
                data-index={i}
                data-testid="object-rect"
                title={t.query.objectLabel(i + 1)}
                style={{ left: r.x, top: r.y, width: r.width, height: r.height }}
              />
            );
          })}
        {displayCrop && displayCrop.width > 0 && (
          <div
            className="crop-rect"
            data-role="crop"
            data-testid="crop-rect"
            role="group"
            tabIndex={0}
            aria-label={t.query.cropLabel}
            onKeyDown={onKeyDown}
            style={{
              left: displayCrop.x,
              top: displayCrop.y,
              width: displayCrop.width,
              height: displayCrop.height,
            }}
          >
            <span className="crop-handle" data-role="handle" aria-hidden="true" />
          </div>
        )}
      </div>
    </div>
  );
}
