/**
 * An error as it crosses a worker thread's message port (structured cloning keeps no class): an AppError keeps its
 * code and message, anything else is a bug and keeps its stack.
 */
import { AppError, isAppError, type ErrorCode } from '../../shared/errors.js';

export type WireError = { code: ErrorCode; message: string } | { bug: string };

export function toWireError(err: unknown): WireError {
  if (isAppError(err)) return { code: err.code, message: err.message };
  return { bug: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}

/** The error again on the receiving side; `worker` names the thread in a bug's message ("decode worker"). */
export function fromWireError(error: WireError, worker: string): Error {
  if ('bug' in error) return new Error(`${worker}: ${error.bug}`);
  return new AppError(error.code, error.message);
}
