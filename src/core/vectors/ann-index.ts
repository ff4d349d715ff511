/**
 * A thin, checked wrapper over one usearch HNSW index with cosine metric. Keys are catalog item ids.
 * Saving is atomic: write a temp file, fsync it, rename it over the old one, fsync the folder.
 *
 * Each file ends in a trailer that usearch ignores (magic, payload length, digests, a summary of the ids it holds).
 * usearch trusts its input, so a damaged file (bad sector, truncated copy, a flipped bit in the graph) would
 * otherwise load silently wrong, or allocate whatever a garbage header asks for. Opening is in two steps, so that
 * a million-vector file opens in milliseconds rather than seconds:
 * - before usearch sees the file: the trailer, the length, the vector matrix header against the parameters, and a
 *   digest of the structure usearch parses on open (matrix header, index header, node levels: ~2 bytes per vector);
 * - the whole payload's digest, later: in the background after `open` (which memory-maps the file, except on
 *   Windows), or before a caller may change the index (`makeWritable`), or up front (`load`, doctor).
 * The payload digest is a tree hash (SHA-256 of the SHA-256 of each 8 MiB block), so it can be computed off the
 * main thread (WebCrypto jobs run on libuv's pool) as well as synchronously, with the same result.
 * Files of the first format (a plain SHA-256 trailer) are still read; they are verified in full before use.
 */
import { createHash, webcrypto } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync, statfsSync, writeSync } from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { dirname } from 'node:path';
import usearch from 'usearch';
import { AppError } from '../../shared/errors.js';
import { EMPTY_ID_DIGEST, sameIds, updateIdDigest, type IdDigest } from '../base/id-digest.js';

export interface AnnParams {
  dimensions: number;
  /** How vectors are held in memory and on disk; f16 halves both at ~1e-3 score precision. */
  quantization: 'f32' | 'f16';
  /** HNSW graph degree (usearch's default is 16). */
  connectivity: number;
  /**
   * Candidates an insert keeps while it looks for a new vector's neighbours (usearch's expansion_add; 0: its default,
   * 128). Not stored in the file: it decides how good the graph that later inserts build is.
   */
  expansionAdd: number;
}

export interface AnnHit {
  id: number;
  /** Cosine similarity in [-1, 1]. */
  score: number;
}

export interface OpenOptions {
  /** `full`: check the whole payload's digest before mapping the file; default: structure only. */
  verify?: 'structure' | 'full';
  /**
   * Memory-map the file (default everywhere but Windows, which cannot replace a mapped file: another process's
   * save would fail while this one searches); else it is read into memory, after the same cheap checks.
   */
  map?: boolean;
  /** The ids the file must hold (the catalog's): compared with its trailer before the file is mapped. */
  expectIds?: IdDigest;
}

/** The file's trailer says it holds other ids than expected. */
export class IdsMismatchError extends Error {
  constructor(
    readonly held: number,
    readonly expected: number,
  ) {
    super(`holds ${held} vectors but the catalog has ${expected} (or other ids)`);
  }
}

/** The file an index still stands for, with what is needed to verify it later or to load it for writing. */
interface Backing {
  file: string;
  info: FileInfo;
  identity: FileIdentity;
  /** Whether usearch reads the file through a memory map (read-only) rather than a copy in memory. */
  mapped: boolean;
  verified: boolean;
}

export class AnnIndex {
  private constructor(
    private readonly index: InstanceType<typeof usearch.Index>,
    /** The ids held, when known (undefined after a failed native add, or for a first-format file). */
    private held: IdDigest | undefined,
    /** Set until makeWritable(): the index may not change while its file is mapped or not yet verified. */
    private backing: Backing | undefined,
  ) {}

  static create(params: AnnParams): AnnIndex {
    return new AnnIndex(newNative(params), EMPTY_ID_DIGEST, undefined);
  }

  /**
   * Loads a saved index into memory (writable) after checking its whole file.
   * @throws Error when the file is missing, damaged or not one of ours (the caller rebuilds it).
   */
  static load(file: string, params: AnnParams): AnnIndex {
    return settled(file, () => {
      const info = inspectFile(file, params, 'full');
      const native = newNative(params);
      native.load(file);
      return { identity: info.identity, index: new AnnIndex(native, info.ids, undefined) };
    });
  }

  /**
   * Opens a saved index for searching after the cheap checks (see the module comment): memory-mapped (see
   * OpenOptions.map); its whole payload is verified later, by verify() or makeWritable(). A file whose trailer does
   * not summarise its ids (the first format, or a save after a failed add) is verified in full and loaded instead,
   * for the caller to compare ids.
   * @throws IdsMismatchError when the trailer's ids differ from `expectIds`; Error when the file is missing, damaged
   *   or not one of ours (the caller rebuilds it in either case).
   */
  static open(file: string, params: AnnParams, options: OpenOptions = {}): AnnIndex {
    const verify = options.verify ?? 'structure';
    return settled(file, () => {
      const info = inspectFile(file, params, verify);
      const { identity } = info;
      // Before mapping, so that a file about to be rebuilt is never left mapped.
      if (info.ids && options.expectIds && !sameIds(info.ids, options.expectIds)) throw new IdsMismatchError(info.ids.count, options.expectIds.count);
      const native = newNative(params);
      if (!info.ids) {
        if (info.version === 2 && verify !== 'full') verifyTreeDigest(file, info);
        native.load(file);
        return { identity, index: new AnnIndex(native, undefined, undefined) };
      }
      const mapped = options.map ?? process.platform !== 'win32';
      if (mapped) native.view(file);
      else native.load(file);
      const verified = verify === 'full';
      return { identity, index: new AnnIndex(native, info.ids, verified && !mapped ? undefined : { file, info, identity, mapped, verified }) };
    });
  }

  get size(): number {
    return Number(this.index.size());
  }

  get dimensions(): number {
    return Number(this.index.dimensions());
  }

  /** The ids this index holds, summarised; undefined when unknown (then compare ids one by one). */
  get ids(): IdDigest | undefined {
    return this.held;
  }

  /**
   * True while the index may not change: its file is memory-mapped, or its copy was not verified in full yet
   * (see makeWritable()).
   */
  get readOnly(): boolean {
    return this.backing !== undefined;
  }

  /** Whether usearch reads the index through a memory map of its file. */
  get mapped(): boolean {
    return this.backing?.mapped ?? false;
  }

  /** False while the file's whole payload has not been checked yet. */
  get verified(): boolean {
    return this.backing?.verified ?? true;
  }

  /**
   * Checks the whole payload of the index's file off the main thread.
   * @returns what is wrong, or undefined when it is whole (or there is nothing to check, or the check was given
   *   up: the file was replaced meanwhile, it could not be read, or `signal` aborted it).
   */
  async verify(signal?: AbortSignal): Promise<string | undefined> {
    const b = this.backing;
    if (!b || b.verified) return undefined;
    let digest: Buffer;
    try {
      digest = await treeDigestAsync(b.file, b.info.length, b.info.blockBytes, signal);
    } catch {
      return undefined;
    }
    if (!sameIdentity(b.identity, identityOf(b.file))) return undefined;
    if (!digest.equals(b.info.digest)) return 'checksum mismatch (the file is damaged)';
    b.verified = true;
    return undefined;
  }

  /**
   * Makes the index changeable: its file is verified in full first unless verify() already did (so a damaged graph
   * is never saved under a fresh digest), and a memory map is replaced by a copy in memory (usearch cannot change a
   * mapped file). Loading through the same native object also releases the map.
   * @throws Error when the file is damaged or was replaced meanwhile (the caller rebuilds).
   */
  makeWritable(): void {
    const b = this.backing;
    if (!b) return;
    if (!sameIdentity(b.identity, identityOf(b.file))) throw new Error('the file was replaced by another process');
    if (!b.verified) verifyTreeDigest(b.file, b.info);
    if (b.mapped) {
      this.index.load(b.file);
      if (!sameIdentity(b.identity, identityOf(b.file))) throw new Error('the file was replaced by another process');
    }
    this.backing = undefined;
  }

  /** Adds vectors given as one flat array of `ids.length × dimensions`. */
  add(ids: readonly number[], flat: Float32Array): void {
    if (ids.length === 0) return;
    if (flat.length !== ids.length * this.dimensions) {
      throw new Error(`Expected ${ids.length} vectors of ${this.dimensions} floats, got ${flat.length} floats.`);
    }
    this.assertWritable();
    try {
      this.index.add(BigUint64Array.from(ids, (id) => BigInt(id)), flat, 0);
    } catch (err) {
      // Some of the batch may be in: the summary is no longer known (the next open compares ids one by one).
      this.held = undefined;
      throw err;
    }
    if (this.held) this.held = updateIdDigest(this.held, ids);
  }

  remove(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.assertWritable();
    let removed: unknown;
    try {
      removed = this.index.remove(BigUint64Array.from(ids, (id) => BigInt(id)));
    } catch (err) {
      this.held = undefined;
      throw err;
    }
    const counts = Array.isArray(removed) ? (removed as number[]) : [Number(removed)];
    if (this.held) this.held = updateIdDigest(this.held, ids.filter((_, i) => counts[i] === 1), -1);
  }

  /** The ids of `ids` this index does not hold. */
  missing(ids: readonly number[]): number[] {
    if (ids.length === 0) return [];
    const found = this.index.contains(BigUint64Array.from(ids, (id) => BigInt(id)));
    const flags = Array.isArray(found) ? (found as boolean[]) : [found as boolean];
    return ids.filter((_, i) => !flags[i]);
  }

  /** Whether every id is present (the consistency check against the catalog). */
  containsAll(ids: readonly number[]): boolean {
    if (ids.length === 0) return true;
    const found = this.index.contains(BigUint64Array.from(ids, (id) => BigInt(id)));
    return Array.isArray(found) ? found.every(Boolean) : found;
  }

  /**
   * The `k` nearest vectors by cosine, best first. `breadth` widens the graph walk without a rebuild: usearch keeps
   * max(its expansion_search, results wanted) candidates while it walks, so asking for `breadth` results and keeping
   * the best `k` is the same walk as an index built with expansion_search = `breadth` (0: usearch's default, 64).
   */
  search(query: Float32Array, k: number, breadth = 0): AnnHit[] {
    if (this.size === 0 || k <= 0) return [];
    const m = this.index.search(query, Math.min(Math.max(k, breadth), this.size), 0);
    const hits: AnnHit[] = [];
    for (let i = 0; i < Math.min(k, m.keys.length); i++) hits.push({ id: Number(m.keys[i]), score: 1 - m.distances[i]! });
    return hits;
  }

  /**
   * search() for `count` queries at once (row-major in `flat`), spread over the cores; each query's hits are what
   * search() gives for it alone.
   */
  searchMany(flat: Float32Array, count: number, k: number, breadth = 0): AnnHit[][] {
    if (count === 0) return [];
    if (this.size === 0 || k <= 0) return Array.from({ length: count }, () => []);
    if (count === 1) return [this.search(flat, k, breadth)];
    const n = Math.min(Math.max(k, breadth), this.size);
    const m = this.index.search(flat, n, 0) as InstanceType<typeof usearch.BatchMatches>;
    const out: AnnHit[][] = [];
    for (let q = 0; q < count; q++) {
      const hits: AnnHit[] = [];
      const found = Math.min(k, Number(m.counts[q]));
      for (let j = 0; j < found; j++) hits.push({ id: Number(m.keys[q * n + j]), score: 1 - m.distances[q * n + j]! });
      out.push(hits);
    }
    return out;
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
        const length = fstatSync(fd).size;
        const structure = structureDigest(fd, length);
        const digest = treeDigestSync(fd, length, BLOCK_BYTES);
        writeAll(fd, encodeTrailer({ length, blockBytes: BLOCK_BYTES, digest, structure, ids: this.held }), length);
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

  private assertWritable(): void {
    // A broken invariant, not a user error: VectorStore calls makeWritable() before changing an index.
    if (this.backing) throw new Error('AnnIndex: the index is read-only until makeWritable()');
  }
}

/**
 * Runs `open` (checks, then usearch reading the file by its path) until the file was the same one throughout: another
 * process may replace it (an atomic save) between our checks and usearch's read. Tried twice, then given up.
 * @throws Error when the file kept changing, or what `open` throws.
 */
function settled(file: string, open: () => { identity: FileIdentity; index: AnnIndex }): AnnIndex {
  for (let attempt = 0; attempt < 2; attempt++) {
    const { identity, index } = open();
    if (sameIdentity(identity, identityOf(file))) return index;
  }
  throw new Error('the file changed while it was being opened');
}

function newNative(params: AnnParams): InstanceType<typeof usearch.Index> {
  return new usearch.Index({
    dimensions: params.dimensions,
    metric: usearch.MetricKind.Cos,
    quantization: params.quantization === 'f16' ? usearch.ScalarKind.F16 : usearch.ScalarKind.F32,
    connectivity: params.connectivity,
    expansion_add: params.expansionAdd,
    expansion_search: 0,
    multi: false,
  });
}

// ---- File format -------------------------------------------------------------------------------------------

const MAGIC_V1 = Buffer.from('LKIDX\0\0\x01', 'latin1');
const MAGIC_V2 = Buffer.from('LKIDX\0\0\x02', 'latin1');
/** magic, payload length, SHA-256 of the payload. */
const TRAILER_V1_BYTES = 8 + 8 + 32;
/** magic, payload length, block size, flags, tree digest, structure digest, id count, sum, squares. */
const TRAILER_V2_BYTES = 8 + 8 + 4 + 4 + 32 + 32 + 8 + 8 + 8;
const FLAG_IDS = 1;
/** Blocks of the payload's tree hash: large enough that hashing, not scheduling, dominates. */
const BLOCK_BYTES = 8 << 20;
const CHUNK = 1 << 20;
/** usearch's dense header and its graph header (size, connectivity, base connectivity, max level, entry slot). */
const DENSE_HEAD_BYTES = 64;
const GRAPH_HEAD_BYTES = 40;
/** Each node's level is an int16 in the array that follows the graph header. */
const LEVEL_BYTES = 2;

interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

interface FileInfo {
  version: 1 | 2;
  length: number;
  /** Block size of the tree digest (v2). */
  blockBytes: number;
  /** v1: SHA-256 of the payload; v2: its tree digest. */
  digest: Buffer;
  ids: IdDigest | undefined;
  identity: FileIdentity;
}

interface TrailerFields {
  length: number;
  blockBytes: number;
  digest: Buffer;
  structure: Buffer;
  ids: IdDigest | undefined;
}

function encodeTrailer(t: TrailerFields): Buffer {
  const out = Buffer.alloc(TRAILER_V2_BYTES);
  let o = MAGIC_V2.copy(out, 0);
  o = out.writeBigUInt64LE(BigInt(t.length), o);
  o = out.writeUInt32LE(t.blockBytes, o);
  o = out.writeUInt32LE(t.ids ? FLAG_IDS : 0, o);
  o += t.digest.copy(out, o);
  o += t.structure.copy(out, o);
  o = out.writeBigUInt64LE(BigInt(t.ids?.count ?? 0), o);
  o = out.writeBigUInt64LE(BigInt.asUintN(64, t.ids?.sum ?? 0n), o);
  out.writeBigUInt64LE(BigInt.asUintN(64, t.ids?.squares ?? 0n), o);
  return out;
}

/**
 * Checks a file before usearch reads it: trailer, length, the vector matrix header against `params`, and (v2) the
 * structure digest, or with `full` the whole payload. First-format files are always checked in full.
 * @throws Error saying what is wrong with the file (missing, no trailer, checksum, header).
 */
function inspectFile(file: string, params: AnnParams, verify: 'structure' | 'full'): FileInfo {
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    const identity = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
    const size = st.size;
    if (size < TRAILER_V1_BYTES + 8) throw new Error('the file is too short to be an index');
    const tailBytes = Math.min(size, TRAILER_V2_BYTES);
    const tail = Buffer.alloc(tailBytes);
    readFully(fd, tail, tailBytes, size - tailBytes);
    let info: FileInfo;
    let structure: Buffer | undefined;
    if (tailBytes === TRAILER_V2_BYTES && tail.subarray(0, 8).equals(MAGIC_V2)) {
      let o = 8;
      const length = Number(tail.readBigUInt64LE(o));
      o += 8;
      const blockBytes = tail.readUInt32LE(o);
      o += 4;
      const flags = tail.readUInt32LE(o);
      o += 4;
      const digest = Buffer.from(tail.subarray(o, o + 32));
      o += 32;
      structure = Buffer.from(tail.subarray(o, o + 32));
      o += 32;
      const count = Number(tail.readBigUInt64LE(o));
      const sum = tail.readBigUInt64LE(o + 8);
      const squares = tail.readBigUInt64LE(o + 16);
      if (length !== size - TRAILER_V2_BYTES) throw new Error(`the file is ${size} bytes, its trailer says ${length + TRAILER_V2_BYTES}`);
      if (blockBytes < CHUNK || blockBytes % CHUNK !== 0) throw new Error(`the trailer names an invalid block size ${blockBytes}`);
      info = { version: 2, length, blockBytes, digest, ids: flags & FLAG_IDS ? { count, sum, squares } : undefined, identity };
    } else if (tail.subarray(tailBytes - TRAILER_V1_BYTES, tailBytes - TRAILER_V1_BYTES + 8).equals(MAGIC_V1)) {
      const t = tail.subarray(tailBytes - TRAILER_V1_BYTES);
      const length = Number(t.readBigUInt64LE(8));
      if (length !== size - TRAILER_V1_BYTES) throw new Error(`the file is ${size} bytes, its trailer says ${length + TRAILER_V1_BYTES}`);
      info = { version: 1, length, blockBytes: 0, digest: Buffer.from(t.subarray(16, 48)), ids: undefined, identity };
    } else {
      throw new Error('the file has no checksum trailer (an older or foreign file)');
    }
    // usearch allocates what the header of its vector matrix says: check it against the file and the parameters.
    const head = Buffer.alloc(8);
    readFully(fd, head, 8, 0);
    const rows = head.readUInt32LE(0);
    const rowBytes = head.readUInt32LE(4);
    const expected = params.dimensions * (params.quantization === 'f16' ? 2 : 4);
    if (rowBytes !== expected) throw new Error(`the index stores ${rowBytes}-byte vectors, expected ${expected}`);
    if (8 + rows * rowBytes > info.length) throw new Error(`the header claims ${rows} vectors, more than the file holds`);
    if (info.version === 1) {
      if (!plainDigest(fd, info.length).equals(info.digest)) throw new Error('checksum mismatch (the file is damaged)');
    } else if (verify === 'full') {
      if (!treeDigestSync(fd, info.length, info.blockBytes).equals(info.digest)) throw new Error('checksum mismatch (the file is damaged)');
    } else if (!structureDigest(fd, info.length).equals(structure!)) {
      throw new Error('checksum mismatch in the index structure (the file is damaged)');
    }
    return info;
  } finally {
    closeSync(fd);
  }
}

/**
 * SHA-256 of what usearch parses when it opens a file: the vector matrix header, usearch's own header, the graph
 * header and every node's level (from which it computes where each node lies).
 * @throws Error when the headers claim more than the payload holds.
 */
function structureDigest(fd: number, length: number): Buffer {
  const head = Buffer.alloc(8);
  readFully(fd, head, 8, 0);
  const rows = head.readUInt32LE(0);
  const vectorsEnd = 8 + rows * head.readUInt32LE(4);
  const end = vectorsEnd + DENSE_HEAD_BYTES + GRAPH_HEAD_BYTES + LEVEL_BYTES * rows;
  if (end > length) throw new Error(`the header claims ${rows} vectors, more than the file holds`);
  const hash = createHash('sha256').update(head);
  hashRange(fd, hash, vectorsEnd, end);
  return hash.digest();
}

/** The first format's digest: SHA-256 of the whole payload. */
function plainDigest(fd: number, length: number): Buffer {
  const hash = createHash('sha256');
  hashRange(fd, hash, 0, length);
  return hash.digest();
}

/** @throws Error when the file's payload does not match its trailer's tree digest. */
function verifyTreeDigest(file: string, info: FileInfo): void {
  const fd = openSync(file, 'r');
  try {
    if (!treeDigestSync(fd, info.length, info.blockBytes).equals(info.digest)) throw new Error('checksum mismatch (the file is damaged)');
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 over the payload length and the SHA-256 of each `blockBytes` block. */
function treeDigestSync(fd: number, length: number, blockBytes: number): Buffer {
  const outer = createHash('sha256').update(u64(length));
  for (let start = 0; start < length; start += blockBytes) {
    const inner = createHash('sha256');
    hashRange(fd, inner, start, Math.min(length, start + blockBytes));
    outer.update(inner.digest());
  }
  return outer.digest();
}

/** treeDigestSync() off the main thread: reads and WebCrypto digests both run on libuv's thread pool. */
async function treeDigestAsync(file: string, length: number, blockBytes: number, signal?: AbortSignal): Promise<Buffer> {
  const fh = await openAsync(file, 'r');
  try {
    const outer = createHash('sha256').update(u64(length));
    const buf = Buffer.allocUnsafe(Math.min(blockBytes, length));
    // One block at a time: this runs beside searches, and one pool thread keeps the other cores for them.
    for (let start = 0; start < length; start += blockBytes) {
      if (signal?.aborted) throw new Error('verification cancelled');
      const n = Math.min(blockBytes, length - start);
      for (let off = 0; off < n; ) {
        const { bytesRead } = await fh.read(buf, off, n - off, start + off);
        if (bytesRead <= 0) throw new Error('the file ended early');
        off += bytesRead;
      }
      outer.update(new Uint8Array(await webcrypto.subtle.digest('SHA-256', buf.subarray(0, n))));
    }
    return outer.digest();
  } finally {
    await fh.close();
  }
}

function hashRange(fd: number, hash: ReturnType<typeof createHash>, start: number, end: number): void {
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, end - start)));
  for (let pos = start; pos < end; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
    if (n <= 0) throw new Error('the file ended early');
    hash.update(buf.subarray(0, n));
    pos += n;
  }
}

function readFully(fd: number, buf: Buffer, length: number, position: number): void {
  for (let off = 0; off < length; ) {
    const n = readSync(fd, buf, off, length - off, position + off);
    if (n <= 0) throw new Error('the file ended early');
    off += n;
  }
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

function identityOf(file: string): FileIdentity | undefined {
  try {
    const st = statSync(file);
    return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

function sameIdentity(a: FileIdentity, b: FileIdentity | undefined): boolean {
  return b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function writeAll(fd: number, data: Buffer, position: number): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off, position + off);
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
