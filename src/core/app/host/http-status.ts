/** The HTTP status that goes with an error code, for both hosts; the body always carries the code itself. */
import type { ErrorCode } from '../../../shared/errors.js';

/** HTTP status for an error code, for non-browser clients and logs; the body always carries the code. */
export function statusFor(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_INPUT':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'FORBIDDEN':
    case 'PERMISSION_DENIED':
      return 403;
    case 'NOT_FOUND':
    case 'ITEM_NOT_FOUND':
    case 'COLLECTION_NOT_FOUND':
      return 404;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'INTERNAL':
      return 500;
    default:
      return 422;
  }
}
