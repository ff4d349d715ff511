/** Content types the hosts send; anything not listed is not served at all. */
import { extname } from 'node:path';

const STATIC_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/** Originals a browser can display as they are; other formats (TIFF, HEIC...) are shown as a large thumbnail. */
const IMAGE_TYPES: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.bmp': 'image/bmp',
};

export const staticContentType = (file: string): string | undefined => STATIC_TYPES[extname(file).toLowerCase()];
export const browserImageType = (file: string): string | undefined => IMAGE_TYPES[extname(file).toLowerCase()];
