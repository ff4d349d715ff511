/**
 * The local-feature step of `dupes`, on candidate pairs only (never all pairs): confirms the embedding's closest
 * candidates that the signatures could not line up (small-angle rotations, photos inside a page screenshot, tight
 * crops), and re-examines signature-verified pairs of middling agreement, dropping those whose matched region is
 * only a shared frame, template or background, or that are the same picture in another colour.
 */
import { readImageFile } from '../base/read-file.js';
import type { Logger } from '../base/logger.js';
import { AppError } from '../../shared/errors.js';
import { extractFeatures, verifyFeatures, type LocalFeatures, type PairVerification } from '../features/local-features.js';

/** A pair of nodes to check, and the files they are read from. */
export interface LocalCheck {
  a: number;
  b: number;
}

export interface LocalVerificationOptions {
  pathOf: (node: number) => string;
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Features held at once (about 0.5 MB each): pairs are checked in node order, so neighbours share them. */
const CACHE = 256;

/**
 * Verdicts for `checks`, in order (undefined where a file could not be read or decoded: it keeps whatever the
 * signatures said). Yields to the event loop between pairs.
 * @throws AppError CANCELLED when `signal` aborts.
 */
export async function verifyLocally(checks: readonly LocalCheck[], options: LocalVerificationOptions): Promise<(PairVerification | undefined)[]> {
  const cache = new Map<number, Promise<LocalFeatures | undefined>>();
  const features = (node: number): Promise<LocalFeatures | undefined> => {
    let f = cache.get(node);
    if (f) {
      // Most recently used last.
      cache.delete(node);
      cache.set(node, f);
      return f;
    }
    f = readImageFile(options.pathOf(node))
      .then((bytes) => extractFeatures(bytes))
      .catch((err: unknown) => {
        options.logger.warn('no local features for a file (its pairs keep the signature verdict)', {
          path: options.pathOf(node),
          error: err instanceof Error ? err.message.split('\n')[0] : String(err),
        });
        return undefined;
      });
    cache.set(node, f);
    while (cache.size > CACHE) cache.delete(cache.keys().next().value!);
    return f;
  };
  const out: (PairVerification | undefined)[] = [];
  for (const [i, c] of checks.entries()) {
    if (options.signal?.aborted) throw new AppError('CANCELLED', 'Cancelled.');
    const [fa, fb] = [await features(c.a), await features(c.b)];
    out.push(fa && fb ? await verifyFeatures(fa, fb) : undefined);
    options.onProgress?.(i + 1, checks.length);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}
