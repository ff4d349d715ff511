/**
 * What both hosts of the renderer (the local HTTP server and Electron's `lookalike://app/` protocol) agree on:
 * the media routes by item id, the event-stream route and the content security policy. Pure, so the renderer
 * builds URLs with the same code the hosts parse them with.
 */

/** Thumbnail edge lengths the hosts render and cache; anything else is snapped to the next one up. */
export const THUMB_SIZES = [128, 256, 512, 1024] as const;
export type ThumbSize = (typeof THUMB_SIZES)[number];

export type MediaRequest = { kind: 'thumb'; id: number; size: ThumbSize } | { kind: 'image'; id: number };

// Digits only: no dots, slashes, encodings or signs can reach the catalog lookup, let alone the file system.
const MEDIA_PATH = /^\/(thumb|image)\/([1-9][0-9]{0,15})$/;

export function snapThumbSize(requested: number): ThumbSize {
  return THUMB_SIZES.find((s) => s >= requested) ?? THUMB_SIZES[THUMB_SIZES.length - 1]!;
}

/**
 * Parses a media request from a URL's still-encoded pathname and its query.
 * @returns null for anything that is not exactly `/thumb/<id>` or `/image/<id>` with a positive safe integer id.
 */
export function parseMediaPath(pathname: string, query: URLSearchParams): MediaRequest | null {
  const m = MEDIA_PATH.exec(pathname);
  if (!m) return null;
  const id = Number(m[2]);
  if (!Number.isSafeInteger(id)) return null;
  if (m[1] === 'image') return { kind: 'image', id };
  const raw = query.get('size');
  // Plain digits only: Number() also reads "1e3", "0x100", " 256" and "".
  if (raw !== null && !/^[1-9]\d{0,3}$/.test(raw)) return null;
  const size = raw === null ? 256 : Number(raw);
  if (size > 4096) return null;
  return { kind: 'thumb', id, size: snapThumbSize(size) };
}

/** Relative URLs, resolved against the page: `/` on the HTTP host, `lookalike://app/` in Electron. */
export const thumbPath = (id: number, size: number): string => `thumb/${id}?size=${snapThumbSize(size)}`;
export const imagePath = (id: number): string => `image/${id}`;

/** Server-Sent Events stream of the contract's `events` (browser host only; Electron pushes over IPC). */
export const EVENTS_PATH = 'events';
/** Prefix of the contract's operations on the HTTP host: `POST api/<channel>`. */
export const API_PREFIX = 'api/';

/** The custom scheme and host the Electron renderer is served from (never file://). */
export const APP_SCHEME = 'lookalike';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/**
 * The renderer's content security policy, sent as a header by both hosts: only its own scripts and styles,
 * images from its own media routes or local blobs (the dropped query image), no framing, no plugins.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
