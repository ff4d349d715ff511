/**
 * Reading, hashing and decoding files for the index job, off the main thread. ONNX Runtime's Node binding runs
 * inference synchronously on the thread that calls it, so while a batch is in inference the main thread's event
 * loop stands still: reads and sharp decodes started from it cannot make progress (each file takes several
 * event-loop turns), and decoding would not overlap inference at all. A worker thread has its own event loop and
 * keeps reading and decoding the next batches meanwhile.
 *
 * Two steps per file, so that the job decides between them on the main thread, where the catalog is: `read`
 * (the bytes, their size and mtime, their SHA-256, kept in the decoder), then `decode` (model input plus perceptual
 * signature) or `drop` (the content is known: unchanged, moved or a copy, and nothing needs decoding).
 *
 * Running from TypeScript sources (tests), the worker's compiled module does not exist; the same work then runs on
 * the calling thread (`LocalFileDecoder`, which is also what the worker runs inside). A bundler does not see the
 * worker behind `new URL(..., import.meta.url)` (nor keep this module beside it), so a bundled host passes the
 * worker file it emitted instead (EngineOptions.decodeWorkerFile).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fromWireError, type WireError } from '../base/wire-error.js';
import type { ModelInputSpec } from '../models/embedder.js';
import { contentHash, decodeForFingerprint, decodeForIndex, readFileSnapshot, type DecodedImage } from './decode.js';
import { signatureFromRaw, type ImageSignature } from './phash.js';

export interface FileRead {
  size: number;
  mtimeMs: number;
  /** SHA-256 of the bytes; null for an empty file. */
  hash: Buffer | null;
  /** Milliseconds spent reading and hashing. */
  readMs: number;
  hashMs: number;
}

export interface FileDecode {
  decoded: DecodedImage;
  /** Null when the decode could not stand in for the signature's own (see decodeForIndex) or none was asked for. */
  signature: ImageSignature | null;
  decodeMs: number;
  signatureMs: number;
}

export interface DecodeSettings {
  spec: ModelInputSpec;
  maxPixels?: number;
  maxBytes?: number;
  /** Decode images over `maxPixels` downscaled instead of refusing them (decode.ts DecodeOptions.downscale). */
  downscale?: boolean;
  /** Compute perceptual signatures from the decode. */
  signatures: boolean;
  /**
   * Decode for the signature only (decodeForFingerprint: the first pass of a progressive run): each decode gives the
   * image's facts and its signature, and `decoded.pixels` is empty (there is no model input).
   */
  fingerprintOnly?: boolean;
  /** Also decode each image's detail picture (DecodedImage.detail), for crops of its product region. */
  detail?: boolean;
  /** Files read at once, and files decoded at once (sharp runs each decode on libuv's thread pool). */
  concurrency: number;
  /**
   * Bytes of files read and not yet decoded or dropped that may be held at once (at least one file always is):
   * reading runs ahead of the job's decisions, which wait while the main thread is in inference.
   */
  maxHeldBytes?: number;
}

const DEFAULT_MAX_HELD_BYTES = 64 * 1024 * 1024;

export interface FileDecoder {
  /**
   * Reads and hashes a file, keeping its bytes under `id` until `decode` or `drop`; `size` (the scan's) only paces
   * reading ahead.
   * @throws AppError as readFileSnapshot does (NOT_FOUND, FILE_CHANGED, IMAGE_TOO_LARGE, ...).
   */
  read(id: number, path: string, size: number): Promise<FileRead>;
  /**
   * Decodes the bytes read under `id` and forgets them.
   * @throws AppError as decodeForIndex does (CORRUPT_IMAGE, UNSUPPORTED_IMAGE, IMAGE_TOO_LARGE, ...).
   */
  decode(id: number): Promise<FileDecode>;
  /** Forgets the bytes read under `id`. */
  drop(id: number): void;
  /** Starts nothing more (calls not yet running reject), waits for what is running, then stops; idempotent. */
  close(): Promise<void>;
}

/** The compiled decode worker beside this module (tsc's dist/), when it exists. */
function defaultDecodeWorkerFile(): string | undefined {
  const file = fileURLToPath(new URL('./decode.worker.js', import.meta.url));
  return existsSync(file) ? file : undefined;
}

/**
 * A decoder on a worker thread when `thread` (worth its start-up, some tens of milliseconds, when there is inference
 * to overlap) and there is a worker module (`workerFile`, else the compiled one beside this module), else on the
 * calling thread.
 */
export function createFileDecoder(settings: DecodeSettings, options: { thread: boolean; workerFile?: string }): FileDecoder {
  if (!options.thread) return new LocalFileDecoder(settings);
  const workerFile = options.workerFile ?? defaultDecodeWorkerFile();
  return workerFile === undefined ? new LocalFileDecoder(settings) : new WorkerFileDecoder(workerFile, settings);
}

/** Does the work on the calling thread. */
export class LocalFileDecoder implements FileDecoder {
  /** Bytes read and not yet decoded or dropped, by id, with the size reserved for each while it was read. */
  private readonly held = new Map<number, { bytes: Buffer | null; reserved: number }>();
  private heldBytes = 0;
  private readonly reads: Limiter;
  private readonly decodes: Limiter;
  private readonly maxHeldBytes: number;

  private closing: Promise<void> | undefined;

  constructor(private readonly settings: DecodeSettings) {
    this.reads = new Limiter(settings.concurrency);
    this.decodes = new Limiter(settings.concurrency);
    this.maxHeldBytes = settings.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
  }

  async read(id: number, path: string, size: number): Promise<FileRead> {
    return this.reads.run(async () => {
      const entry = await this.reserve(id, size);
      try {
        const readStart = performance.now();
        const snapshot = await readFileSnapshot(path, { maxBytes: this.settings.maxBytes });
        const hashStart = performance.now();
        const hash = snapshot.bytes.length === 0 ? null : contentHash(snapshot.bytes);
        const hashMs = performance.now() - hashStart;
        if (hash && this.held.get(id) === entry) entry.bytes = snapshot.bytes;
        else this.release(id);
        return { size: snapshot.size, mtimeMs: snapshot.mtimeMs, hash, readMs: hashStart - readStart, hashMs };
      } catch (err) {
        this.release(id);
        throw err;
      }
    });
  }

  async decode(id: number): Promise<FileDecode> {
    if (!this.held.get(id)?.bytes) throw new Error(`decode(${id}) without a read of it`);
    // No closure here may capture the bytes: an Error keeps every function on its (async) stack alive, and with a
    // closure its captured variables, so a failure kept until its batch is committed would keep the whole file.
    return this.decodes.run(() => this.decodeHeld(id));
  }

  private async decodeHeld(id: number): Promise<FileDecode> {
    try {
      const decodeStart = performance.now();
      if (this.settings.fingerprintOnly) {
        const { upright, ...facts } = await decodeForFingerprint(this.held.get(id)!.bytes!, {
          maxPixels: this.settings.maxPixels,
          ...(this.settings.downscale ? { downscale: true } : {}),
        });
        const signStart = performance.now();
        const signature = signatureFromRaw(upright);
        return { decoded: { ...facts, pixels: Buffer.alloc(0) }, signature, decodeMs: signStart - decodeStart, signatureMs: performance.now() - signStart };
      }
      const { upright, ...decoded } = await decodeForIndex(this.held.get(id)!.bytes!, this.settings.spec, {
        maxPixels: this.settings.maxPixels,
        ...(this.settings.detail ? { detail: true } : {}),
        ...(this.settings.downscale ? { downscale: true } : {}),
      });
      const signStart = performance.now();
      const signature = this.settings.signatures && upright ? signatureFromRaw(upright) : null;
      return { decoded, signature, decodeMs: signStart - decodeStart, signatureMs: performance.now() - signStart };
    } finally {
      this.release(id);
    }
  }

  drop(id: number): void {
    this.release(id);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.reads.close();
      this.decodes.close();
      this.wakeReaders();
      await Promise.all([this.reads.idle(), this.decodes.idle()]);
      this.held.clear();
      this.heldBytes = 0;
    })();
    return this.closing;
  }

  private readonly waitingForRoom: (() => void)[] = [];

  /**
   * Waits until `size` more bytes fit in the budget (or nothing is held), then takes them for `id`. The check and
   * the taking are one synchronous step: when they were an `await` apart, every read that started or woke in the
   * same turn saw the same free budget and all of them went ahead (six 510 MB files were read at once, 3.1 GiB).
   */
  private async reserve(id: number, size: number): Promise<{ bytes: Buffer | null; reserved: number }> {
    while (this.closing === undefined && this.held.size > 0 && this.heldBytes + size > this.maxHeldBytes) {
      await new Promise<void>((resolve) => this.waitingForRoom.push(resolve));
    }
    if (this.closing) throw new Error('the file decoder was closed');
    const entry = { bytes: null as Buffer | null, reserved: size };
    this.held.set(id, entry);
    this.heldBytes += size;
    return entry;
  }

  private release(id: number): void {
    const entry = this.held.get(id);
    if (!entry) return;
    this.held.delete(id);
    this.heldBytes -= entry.reserved;
    this.wakeReaders();
  }

  private wakeReaders(): void {
    for (const wake of this.waitingForRoom.splice(0)) wake();
  }
}

/** Runs at most `max` tasks at once, the others in the order they came; once closed, tasks not started reject. */
class Limiter {
  private active = 0;
  private closed = false;
  private readonly queue: (() => void)[] = [];
  private readonly idlers: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    if (this.closed) {
      this.queue.shift()?.();
      throw new Error('the file decoder was closed');
    }
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.queue.shift()?.();
      if (this.active === 0) for (const idle of this.idlers.splice(0)) idle();
    }
  }

  close(): void {
    this.closed = true;
    this.queue.shift()?.();
  }

  /** Resolves when no task is running. */
  idle(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((resolve) => this.idlers.push(resolve));
  }
}

/** Messages to the worker (see decode.worker.ts). */
export type DecodeWorkerRequest =
  | { op: 'read'; id: number; path: string; size: number }
  | { op: 'decode'; id: number }
  | { op: 'drop'; id: number }
  | { op: 'close' };

/** Messages from the worker: one reply per read or decode, and one when closed (id -1). */
export type DecodeWorkerReply =
  | { id: -1; ok: true; closed: true }
  | { id: number; ok: true; read: FileRead }
  | { id: number; ok: true; decode: WireDecode }
  | { id: number; ok: false; error: WireError };

/** FileDecode as it crosses the thread boundary: the pixels in a transferred ArrayBuffer. */
export interface WireDecode extends Omit<FileDecode, 'decoded'> {
  decoded: Omit<DecodedImage, 'pixels'> & { pixels: ArrayBuffer };
}


class WorkerFileDecoder implements FileDecoder {
  private readonly worker: Worker;
  /** One call at most per id at a time (its read, then its decode), so replies are matched by id. */
  private readonly pending = new Map<number, { resolve: (r: DecodeWorkerReply) => void; reject: (e: unknown) => void }>();
  private failure: unknown;
  private closed = false;
  private whenClosed: (() => void) | undefined;

  constructor(file: string, settings: DecodeSettings) {
    this.worker = new Worker(file, { workerData: settings });
    // A job that is abandoned without close() must not keep the process alive.
    this.worker.unref();
    this.worker.on('message', (reply: DecodeWorkerReply) => {
      if ('closed' in reply) return this.whenClosed?.();
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      waiting.resolve(reply);
    });
    const fail = (err: unknown) => {
      this.failure ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`the decode worker exited with code ${code}`));
    });
  }

  async read(id: number, path: string, size: number): Promise<FileRead> {
    const reply = await this.call({ op: 'read', id, path, size });
    if (!reply.ok) throw fromWireError(reply.error, 'decode worker');
    if (!('read' in reply)) throw new Error(`decode worker: a read of ${id} answered with a decode`);
    // Structured cloning turns a Buffer into a plain Uint8Array.
    const { hash } = reply.read;
    return { ...reply.read, hash: hash ? Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength) : null };
  }

  async decode(id: number): Promise<FileDecode> {
    const reply = await this.call({ op: 'decode', id });
    if (!reply.ok) throw fromWireError(reply.error, 'decode worker');
    if (!('decode' in reply)) throw new Error(`decode worker: a decode of ${id} answered with a read`);
    const { decoded, ...rest } = reply.decode;
    return { ...rest, decoded: { ...decoded, pixels: Buffer.from(decoded.pixels) } };
  }

  drop(id: number): void {
    if (!this.closed && this.failure === undefined) this.worker.postMessage({ op: 'drop', id } satisfies DecodeWorkerRequest);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The worker finishes what sharp is running (a thread is not stopped under a native decode) and refuses the rest.
    if (this.failure === undefined) {
      await new Promise<void>((resolve) => {
        this.whenClosed = resolve;
        this.worker.once('exit', () => resolve());
        this.worker.postMessage({ op: 'close' } satisfies DecodeWorkerRequest);
      });
    }
    for (const p of this.pending.values()) p.reject(new Error('the decode worker was closed'));
    this.pending.clear();
    await this.worker.terminate();
  }

  private call(request: Exclude<DecodeWorkerRequest, { op: 'close' | 'drop' }>): Promise<DecodeWorkerReply> {
    if (this.closed) return Promise.reject(new Error('the decode worker was closed'));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.pending.has(request.id)) return Promise.reject(new Error(`decode worker: a second call for ${request.id} while one is pending`));
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.worker.postMessage(request);
    });
  }
}
