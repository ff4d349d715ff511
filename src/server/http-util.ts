/** Small response and request helpers over node:http, so the routes read as what they decide. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Result } from '../shared/api.js';
import { statusFor } from '../core/app/host/http-status.js';
import { AppError, type ErrorPayload } from '../shared/errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

export function sendResult(res: ServerResponse, result: Result<unknown>): void {
  sendJson(res, result.ok ? 200 : statusFor(result.error.code), result);
}

export function sendError(res: ServerResponse, error: ErrorPayload): void {
  sendResult(res, { ok: false, error });
}

/**
 * Reads a JSON body of at most `limit` bytes.
 * @throws AppError('PAYLOAD_TOO_LARGE') past the limit, AppError('INVALID_INPUT') for a non-JSON body.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  // Requiring JSON also keeps out the "simple" cross-site form posts that skip CORS preflight.
  if (!/^application\/json(;|$)/i.test(type)) throw new AppError('INVALID_INPUT', 'Send the input as application/json.');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new AppError('PAYLOAD_TOO_LARGE', `Request body over ${limit} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new AppError('PAYLOAD_TOO_LARGE', `Request body over ${limit} bytes.`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as unknown;
  } catch {
    throw new AppError('INVALID_INPUT', 'The request body is not valid JSON.');
  }
}
