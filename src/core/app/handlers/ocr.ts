/** The contract's `ocr:*` operations: turning a collection's OCR on or off, and running it. */
import type { ApiHandlers } from '../../../shared/api.js';
import type { OcrService } from '../../ocr/ocr.service.js';

type OcrChannels = 'ocr:configure' | 'ocr:run';

/** The two `ocr:*` handlers. */
export function ocrHandlers(ocr: OcrService): Pick<ApiHandlers, OcrChannels> {
  return {
    'ocr:configure': async ({ collection, enabled }) => ocr.setEnabled(collection, enabled),
    'ocr:run': async ({ collection }) => ocr.run(collection),
  };
}
