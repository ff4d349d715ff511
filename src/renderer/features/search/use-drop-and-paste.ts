/**
 * Accepts a query image dropped anywhere on the page (OS file, web image) or pasted from the clipboard.
 * Drops are always captured, so a stray file never navigates the window away from the app.
 */
import { useEffect, useState } from 'react';
import type { ErrorPayload } from '../../../shared/errors';
import { toPayload } from '../../lib/errors';
import { fromDataTransfer, type QueryImage } from './query-input';

const isTextTarget = (el: EventTarget | null): boolean =>
  el instanceof HTMLElement && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));

export function useDropAndPaste(onQuery: (q: QueryImage) => void, onError: (e: ErrorPayload) => void): boolean {
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    let depth = 0;
    const take = (dt: DataTransfer | null) => {
      if (!dt) return;
      fromDataTransfer(dt).then(
        (q) => q && onQuery(q),
        (err: unknown) => onError(toPayload(err)),
      );
    };
    const onDragEnter = (e: DragEvent) => {
      e.preventDefault();
      depth += 1;
      setDragging(true);
    };
    const onDragOver = (e: DragEvent) => {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const onDragLeave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const onDrop = (e: DragEvent) => {
      e.preventDefault();
      depth = 0;
      setDragging(false);
      take(e.dataTransfer);
    };
    const onPaste = (e: ClipboardEvent) => {
      // Pasting text into a field must keep working.
      if (isTextTarget(e.target)) return;
      e.preventDefault();
      take(e.clipboardData);
    };
    window.addEventListener('dragenter', onDragEnter);
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('dragleave', onDragLeave);
    window.addEventListener('drop', onDrop);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('dragenter', onDragEnter);
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('dragleave', onDragLeave);
      window.removeEventListener('drop', onDrop);
      document.removeEventListener('paste', onPaste);
    };
  }, [onQuery, onError]);

  return dragging;
}
