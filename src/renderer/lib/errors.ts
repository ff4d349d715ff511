/** Turns `Result` envelopes into values or a typed error the UI can show by code. */
import type { Result } from '../../shared/api';
import type { ErrorCode, ErrorPayload } from '../../shared/errors';

export class ClientError extends Error {
  readonly code: ErrorCode;
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.name = 'ClientError';
    this.code = payload.code;
  }
}

export async function unwrap<T>(pending: Promise<Result<T>>): Promise<T> {
  const result = await pending;
  if (result.ok) return result.value;
  throw new ClientError(result.error);
}

export function toPayload(err: unknown): ErrorPayload {
  if (err instanceof ClientError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
