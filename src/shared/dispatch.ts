/**
 * The one registration path every transport (HTTP, Electron IPC) takes: validate the raw input with the
 * contract's schema, call the handler, validate its output, and wrap everything in the `Result` envelope so
 * nothing throws across the boundary (Signal's wrapResult idea).
 */
import type { z } from 'zod';
import type { Handlers, Operation, Result } from './api.js';
import { AppError, toErrorPayload } from './errors.js';

export interface DispatchOptions {
  /** Called with every unexpected (non-AppError) failure so the host can log it; the client sees INTERNAL. */
  onUnexpected?: (channel: string, err: unknown) => void;
}

/** Whether `name` is an own channel of `contract` (never a prototype key such as `constructor`). */
export function isChannelOf<A extends Record<string, Operation>>(contract: A, name: string): name is keyof A & string {
  return Object.hasOwn(contract, name);
}

/** A short, path-free summary of a schema failure: `k: Too big: expected number to be <=1000`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/** Validates, calls and wraps one request. Unknown channels answer NOT_FOUND. */
export async function dispatch<A extends Record<string, Operation>>(
  contract: A,
  handlers: Handlers<A>,
  channel: string,
  rawInput: unknown,
  options: DispatchOptions = {},
): Promise<Result<unknown>> {
  if (!Object.hasOwn(contract, channel)) {
    return { ok: false, error: { code: 'NOT_FOUND', message: `Unknown operation: ${channel.slice(0, 80)}` } };
  }
  const op = contract[channel]!;
  // The schema just checked the input, so the handler's parameter type holds; TS cannot see that per key.
  const handler = handlers[channel as keyof A] as (input: unknown) => Promise<unknown>;
  const parsed = op.input.safeParse(rawInput);
  if (!parsed.success) {
    return { ok: false, error: { code: 'INVALID_INPUT', message: describeIssues(parsed.error) } };
  }
  try {
    const value = await handler(parsed.data);
    // Parsing the output strips fields the contract does not promise, so internals never leak to a client.
    const out = op.output.safeParse(value);
    if (!out.success) {
      throw new AppError('INTERNAL', `Handler output broke the contract: ${describeIssues(out.error)}`);
    }
    return { ok: true, value: out.data };
  } catch (err) {
    if (!(err instanceof AppError) || err.code === 'INTERNAL') options.onUnexpected?.(channel, err);
    return { ok: false, error: toErrorPayload(err) };
  }
}
