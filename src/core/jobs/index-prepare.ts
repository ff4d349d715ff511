/**
 * Phase 3a of indexing a collection: what to do with one new or changed file, decided from its content. The file is
 * read and hashed (on the decoder's worker); the same content as its row refreshes the row, the content of a vanished
 * row is a move, content already embedded elsewhere copies that vector, and anything else is decoded for the model.
 * An expected failure (empty, damaged, too large, changed while read) is a prepared value; the job goes on.
 */
import { AppError, isAppError } from '../../shared/errors.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ScanRow, StoredVector } from '../catalog/items.repo.js';
import type { DecodedImage } from '../images/decode.js';
import type { FileDecoder } from '../images/file-decoder.js';
import type { ImageSignature } from '../images/phash.js';
import type { Vanished, Work } from './index-diff.js';
import type { IndexStages } from './index-stages.js';

/** What the job decided about one file; `size`/`mtimeMs` are those of the bytes actually read. */
export type Prepared = { work: Work; hash: Buffer | null; size: number; mtimeMs: number } & (
  | { kind: 'same' }
  | { kind: 'gone' }
  | { kind: 'move'; from: ScanRow }
  | { kind: 'copy'; source: StoredVector }
  | { kind: 'embed'; decoded: DecodedImage; signature: ImageSignature | null }
  | { kind: 'failed'; error: AppError }
);

export interface PrepareDeps {
  catalog: Catalog;
  decoder: FileDecoder;
  /** The embedder whose stored vectors a copy may take. */
  modelId: string;
  /** The kind of vector the run stores (product regions averaged in, or not): only that kind is reused. */
  cropAverage: boolean;
  vanished: Vanished;
  /** Read, hash, decode and signature times are added here. */
  stages: IndexStages;
}

/** The preparer of `work`'s files (each file's decoder id is its place in `work`). */
export function filePreparer(deps: PrepareDeps, work: readonly Work[]): (w: Work) => Promise<Prepared> {
  const { catalog, decoder, stages } = deps;
  const ids = new Map(work.map((w, i) => [w, i]));
  return async (w) => {
    const scanned = { work: w, hash: null, size: w.file.size, mtimeMs: w.file.mtimeMs };
    if (w.file.refused) return { ...scanned, kind: 'failed', error: w.file.refused };
    const id = ids.get(w)!;
    let file;
    try {
      file = await decoder.read(id, w.file.path, w.file.size);
    } catch (err) {
      const error = asExpected(err);
      // Deleted (or its folder removed) since the scan: the same as not found by the scan.
      if (error.code === 'NOT_FOUND') return { ...scanned, kind: 'gone' };
      return { ...scanned, kind: 'failed', error };
    }
    stages.readMs += file.readMs;
    stages.hashMs += file.hashMs;
    const { hash } = file;
    const read = { work: w, size: file.size, mtimeMs: file.mtimeMs };
    if (!hash) return { ...read, hash: null, kind: 'failed', error: new AppError('EMPTY_FILE', 'The file is empty.') };
    const known = ((): Prepared | undefined => {
      if (w.existing?.indexed && w.existing.hash?.equals(hash) && w.existing.averaged === deps.cropAverage) return { ...read, hash, kind: 'same' };
      const from = deps.vanished.claim(hash);
      if (from) return { ...read, hash, kind: 'move', from };
      const source = catalog.items.vectorByHash(hash, deps.modelId, deps.cropAverage);
      if (source && source.itemId !== w.existing?.id) return { ...read, hash, kind: 'copy', source };
      return undefined;
    })();
    if (known) {
      decoder.drop(id);
      return known;
    }
    try {
      const { decoded, signature, decodeMs, signatureMs } = await decoder.decode(id);
      stages.decodeMs += decodeMs;
      stages.signatureMs += signatureMs;
      return { ...read, hash, kind: 'embed', decoded, signature };
    } catch (err) {
      return { ...read, hash, kind: 'failed', error: asExpected(err) };
    }
  };
}

/** Per-file failures arrive classified as AppError (recorded, the job goes on); anything else is a bug. */
function asExpected(err: unknown): AppError {
  if (isAppError(err)) return err;
  throw err;
}
