/**
 * The one place the app may touch the network, and only when the user asks for it by giving `--url` to
 * `lookalike models add`: a model file is downloaded to a temporary file, hashed while it streams, and kept only
 * when its SHA-256 equals the one the user gave. Nothing else in the app downloads anything.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';

const SHA256 = /^[0-9a-f]{64}$/;
/** ONNX models of a few hundred MB are common; anything beyond this is refused while it streams. */
export const MAX_DOWNLOAD_BYTES = 2 * 1024 ** 3;

export interface DownloadedFile {
  path: string;
  bytes: number;
  /** Removes the temporary folder holding the file. */
  cleanup(): Promise<void>;
}

/**
 * Downloads `url` (https, or http to this machine only) into a temporary folder and checks its SHA-256.
 * @throws AppError INVALID_INPUT (bad URL or checksum format), CHECKSUM_MISMATCH, NOT_FOUND (HTTP error),
 *   PAYLOAD_TOO_LARGE, CANCELLED.
 */
export async function downloadVerified(url: string, sha256: string, options: { signal?: AbortSignal; maxBytes?: number; fetch?: typeof fetch } = {}): Promise<DownloadedFile> {
  const expected = sha256.toLowerCase();
  if (!SHA256.test(expected)) throw new AppError('INVALID_INPUT', '--sha256 must be 64 hexadecimal digits.');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError('INVALID_INPUT', `Not a URL: ${url}`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new AppError('INVALID_INPUT', 'Only https:// URLs are downloaded (http:// only from this machine).');
  }
  const maxBytes = options.maxBytes ?? MAX_DOWNLOAD_BYTES;
  const dir = await mkdtemp(join(tmpdir(), 'lookalike-download-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, 'model.onnx');
  try {
    const response = await (options.fetch ?? fetch)(parsed, { redirect: 'follow', ...(options.signal ? { signal: options.signal } : {}) });
    if (!response.ok || !response.body) throw new AppError('NOT_FOUND', `Download failed: HTTP ${response.status} for ${url}`);
    const hash = createHash('sha256');
    const out = createWriteStream(path);
    let bytes = 0;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        if (bytes > maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `The download exceeds ${maxBytes} bytes.`);
        hash.update(chunk);
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
    } finally {
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
    const actual = hash.digest('hex');
    if (actual !== expected) throw new AppError('CHECKSUM_MISMATCH', `The download from ${url} has sha256 ${actual}, not ${expected}; it was discarded.`);
    return { path, bytes, cleanup };
  } catch (err) {
    await cleanup();
    if (options.signal?.aborted) throw new AppError('CANCELLED', 'Download cancelled.', { cause: err });
    if (err instanceof AppError) throw err;
    throw new AppError('NOT_FOUND', `Download failed: ${(err as Error).message}`, { cause: err });
  }
}
