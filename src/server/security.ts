/**
 * The browser host's gatekeeping: a per-run random token, Host and Origin checks against DNS rebinding and
 * cross-site requests, and the response headers every reply carries.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ErrorPayload } from '../shared/errors.js';
import { CONTENT_SECURITY_POLICY } from '../shared/web.js';

export const TOKEN_HEADER = 'x-lookalike-token';

/** 192 random bits, URL-safe: printed once in the URL, then carried by a cookie. */
export function createToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Cookies are not isolated by port, so two servers on one machine must not overwrite each other's. */
export function cookieName(port: number): string {
  return `lookalike_token_${port}`;
}

export function tokensEqual(given: string | undefined | null, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether the request carries the token in its cookie, the token header or an `Authorization: Bearer`. */
export function isAuthenticated(req: IncomingMessage, token: string, port: number): boolean {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const header = req.headers[TOKEN_HEADER];
  return (
    tokensEqual(readCookie(req.headers.cookie, cookieName(port)), token) ||
    tokensEqual(typeof header === 'string' ? header : undefined, token) ||
    tokensEqual(bearer, token)
  );
}

export function sessionCookie(token: string, port: number): string {
  return `${cookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}

/**
 * Rejects requests a page on another site could make: a Host other than the loopback name we bind (DNS
 * rebinding), an Origin other than our own, and fetches the browser itself labels cross-site.
 */
export function checkOrigin(req: IncomingMessage, port: number): ErrorPayload | null {
  const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  const host = req.headers.host?.toLowerCase();
  if (!host || !allowedHosts.includes(host)) {
    return { code: 'FORBIDDEN', message: 'This server only answers to 127.0.0.1 or localhost.' };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedHosts.map((h) => `http://${h}`).includes(origin.toLowerCase())) {
    return { code: 'FORBIDDEN', message: 'Requests from other origins are refused.' };
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { code: 'FORBIDDEN', message: 'Cross-site requests are refused.' };
  }
  return null;
}

/** Sent with every response: the renderer's CSP and the usual hardening headers. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};
