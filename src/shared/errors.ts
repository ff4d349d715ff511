/**
 * The closed list of error codes every transport (CLI, HTTP, IPC) speaks. Only `{ code, message }` crosses a
 * transport; the UI switches on `code`, the CLI prints `message`.
 */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'NOT_FOUND',
  'FOLDER_NOT_FOUND',
  'NOT_A_FOLDER',
  /** The file system's root, an OS folder or a pseudo file system: never a library folder nor a move destination. */
  'SYSTEM_FOLDER',
  'PERMISSION_DENIED',
  'PATH_OUTSIDE_ROOTS',
  'COLLECTION_NOT_FOUND',
  'COLLECTION_EXISTS',
  'ITEM_NOT_FOUND',
  'UNSUPPORTED_IMAGE',
  'CORRUPT_IMAGE',
  'IMAGE_TOO_LARGE',
  'EMPTY_FILE',
  'UNSUPPORTED_FILE_NAME',
  'FILE_CHANGED',
  'MODEL_MISSING',
  'MODEL_INVALID',
  'MODEL_MISMATCH',
  'CHECKSUM_MISMATCH',
  'DB_CORRUPT',
  'DISK_FULL',
  'DATA_DIR_LOCKED',
  'INDEX_BUSY',
  'CANCELLED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'PAYLOAD_TOO_LARGE',
  'NETWORK_DISABLED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

/** An expected failure with a stable code; `cause` keeps the native error for logs, never for transports. */
export class AppError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** What may cross a transport: unknown errors become INTERNAL with a generic message (no stack, no paths). */
export function toErrorPayload(err: unknown): ErrorPayload {
  if (isAppError(err)) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'Internal error; see the log for details.' };
}

/** One log line with the code, message and the cause chain. */
export function toLogFormat(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const head = isAppError(err) ? `${err.code}: ${err.message}` : (err.stack ?? `${err.name}: ${err.message}`);
  return err.cause === undefined ? head : `${head}\n  caused by: ${toLogFormat(err.cause)}`;
}

/** Exhaustiveness guard for switches over literal unions. */
export function missingCase(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
