/**
 * The one registration helper of the HTTP host: `POST /api/<channel>` → the contract's schema → the
 * engine's handler → the `Result` envelope. Channels come from the contract object, never from strings here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Handlers, Operation } from '../shared/api.js';
import { dispatch, isChannelOf } from '../shared/dispatch.js';
import { toErrorPayload } from '../shared/errors.js';
import { readJsonBody, sendError, sendResult } from './http-util.js';

export interface ApiRouteOptions {
  /** Largest accepted body: a query image travels as base64 inside the JSON. */
  maxBodyBytes: number;
  onUnexpected?: (channel: string, err: unknown) => void;
}

export type ApiRoute = (req: IncomingMessage, res: ServerResponse, channel: string) => Promise<void>;

/** Builds the handler for `POST /api/<channel>` over every channel of `contract`. */
export function registerApi<A extends Record<string, Operation>>(
  contract: A,
  handlers: Handlers<A>,
  options: ApiRouteOptions,
): ApiRoute {
  return async (req, res, channel) => {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      sendError(res, { code: 'NOT_FOUND', message: 'Operations are called with POST.' });
      return;
    }
    if (!isChannelOf(contract, channel)) {
      sendError(res, { code: 'NOT_FOUND', message: 'Unknown operation.' });
      return;
    }
    let input: unknown;
    try {
      input = await readJsonBody(req, options.maxBodyBytes);
    } catch (err) {
      res.setHeader('Connection', 'close');
      sendError(res, toErrorPayload(err));
      return;
    }
    const onUnexpected = options.onUnexpected;
    sendResult(res, await dispatch(contract, handlers, channel, input, onUnexpected ? { onUnexpected } : {}));
  };
}
