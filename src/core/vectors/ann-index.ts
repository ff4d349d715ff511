/**
 * A thin, checked wrapper over one usearch HNSW index with cosine metric. Keys are catalog item ids.
 * Saving is atomic: write a temp file, fsync it, rename it over the old one, fsync the folder.
 *
 * Each file ends in a 48-byte trailer (magic, payload length, SHA-256 of the payload) that usearch ignores. It
 * is verified, with the payload's own header, before usearch sees the file: usearch trusts its input, so a
 * damaged file (bad sector, truncated copy, a flipped bit in the graph) would otherwise load silently wrong, or
 * allocate whatever a garbage header asks for. A file that fails the check is rebuilt from the catalog.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import usearch from 'usearch';
import { AppError } from '../../shared/errors.js';

export interface AnnParams {
  dimensions: number;
  /** How vectors are held in memory and on disk; f16 halves both at ~1e-3 score precision. */
  quantization: 'f32' | 'f16';
  /** HNSW graph degree (usearch's default is 16). */
  connectivity: number;
}

export interface AnnHit {
  id: number;
  /** Cosine similarity in [-1, 1]. */
  score: number;
}

export class AnnIndex {
  private constructor(private readonly index: InstanceType<typeof usearch.Index>) {}

  static create(params: AnnParams): AnnIndex {
    return new AnnIndex(
      new usearch.Index({
        dimensions: params.dimensions,
        metric: usearch.MetricKind.Cos,
        quantization: params.quantization === 'f16' ? usearch.ScalarKind.F16 : usearch.ScalarKind.F32,
        connectivity: params.connectivity,
        expansion_add: 0,
        expansion_search: 0,
        multi: false,
      }),
    );
  }

  /**
   * Loads a saved index into memory after checking its trailer and header.
   * @throws Error when the file is missing, damaged or not one of ours (the caller rebuilds it).
   */
  static load(file: string, params: AnnParams): AnnIndex {
    verifyFile(file, params);
    const ann = AnnIndex.create(params);
    ann.index.load(file);
    return ann;
  }

  get size(): number {
    return Number(this.index.size());
  }

  get dimensions(): number {
    return Number(this.index.dimensions());
  }

  /** Adds vectors given as one flat array of `ids.length × dimensions`. */
  add(ids: readonly number[], flat: Float32Array): void {
    if (ids.length === 0) return;
    if (flat.length !== ids.length * this.dimensions) {
      throw new Error(`Expected ${ids.length} vectors of ${this.dimensions} floats, got ${flat.length} floats.`);
    }
    this.index.add(BigUint64Array.from(ids, (id) => BigInt(id)), flat, 0);
  }

  remove(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.index.remove(BigUint64Array.from(ids, (id) => BigInt(id)));
  }

  /** Whether every id is present (the consistency check against the catalog). */
  containsAll(ids: readonly number[]): boolean {
    if (ids.length === 0) return true;
    const found = this.index.contains(BigUint64Array.from(ids, (id) => BigInt(id)));
    return Array.isArray(found) ? found.every(Boolean) : found;
  }

  /** The `k` nearest vectors by cosine, best first. */
  search(query: Float32Array, k: number): AnnHit[] {
    if (this.size === 0 || k <= 0) return [];
    const m = this.index.search(query, Math.min(k, this.size), 0);
    const hits: AnnHit[] = [];
    for (let i = 0; i < m.keys.length; i++) hits.push({ id: Number(m.keys[i]), score: 1 - m.distances[i]! });
    return hits;
  }

  /**
   * Writes the index to `file` atomically: a crash leaves either the old file or the new one.
   * @throws AppError DISK_FULL when the disk filled up (the old file is kept), else the native error.
   */
  saveAtomic(file: string): void {
    const tmp = tempFileOf(file);
    try {
      this.index.save(tmp);
      const fd = openSync(tmp, 'r+');
      try {
        const { length, digest } = hashPayload(fd, fstatSync(fd).size);
        writeAll(fd, trailer(length, digest), length);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    } catch (err) {
      // Measured before the partial temp file is removed: afterwards the disk has room again.
      const full = isDiskFull(err, dirname(file));
      rmSync(tmp, { force: true });
      if (full) throw new AppError('DISK_FULL', `The disk is full; the vector index was not saved (${file}).`, { cause: err });
      throw err;
    }
    fsyncDir(dirname(file));
  }
}

const MAGIC = Buffer.from('LKIDX\0\0\x01', 'latin1');
const TRAILER_BYTES = MAGIC.length + 8 + 32;
const CHUNK = 1 << 20;

function trailer(length: number, digest: Buffer): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(length));
  return Buffer.concat([MAGIC, len, digest]);
}

function hashPayload(fd: number, length: number): { length: number; digest: Buffer } {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let pos = 0; pos < length; ) {
    const n = readSync(fd, buf, 0, Math.min(CHUNK, length - pos), pos);
    if (n <= 0) throw new Error('the file ended early');
    hash.update(buf.subarray(0, n));
    pos += n;
  }
  return { length, digest: hash.digest() };
}

function writeAll(fd: number, data: Buffer, position: number): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off, position + off);
}

/** @throws Error saying what is wrong with the file (missing, no trailer, checksum, header). */
function verifyFile(file: string, params: AnnParams): void {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < TRAILER_BYTES + 8) throw new Error('the file is too short to be an index');
    const tail = Buffer.alloc(TRAILER_BYTES);
    readSync(fd, tail, 0, TRAILER_BYTES, size - TRAILER_BYTES);
    if (!tail.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('the file has no checksum trailer (an older or foreign file)');
    const length = Number(tail.readBigUInt64LE(MAGIC.length));
    if (length !== size - TRAILER_BYTES) throw new Error(`the file is ${size} bytes, its trailer says ${length + TRAILER_BYTES}`);
    if (!hashPayload(fd, length).digest.equals(tail.subarray(MAGIC.length + 8))) throw new Error('checksum mismatch (the file is damaged)');
    // usearch allocates what the header of its vector matrix says: check it against the file and the parameters.
    const head = Buffer.alloc(8);
    readSync(fd, head, 0, 8, 0);
    const rows = head.readUInt32LE(0);
    const rowBytes = head.readUInt32LE(4);
    const expected = params.dimensions * (params.quantization === 'f16' ? 2 : 4);
    if (rowBytes !== expected) throw new Error(`the index stores ${rowBytes}-byte vectors, expected ${expected}`);
    if (8 + rows * rowBytes > length) throw new Error(`the header claims ${rows} vectors, more than the file holds`);
  } finally {
    closeSync(fd);
  }
}

/** `<file>.tmp-<pid>`: the pid lets a later run tell a crashed process's leftover from a live writer's file. */
export function tempFileOf(file: string, pid: number = process.pid): string {
  return `${file}.tmp-${pid}`;
}

/** usearch reports a failed write only as "Failed to serialize"; the file system says whether space ran out. */
function isDiskFull(err: unknown, dir: string): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

/** Makes a rename durable; folders cannot be opened for fsync on Windows, where NTFS journals renames anyway. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Best effort (see above).
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
