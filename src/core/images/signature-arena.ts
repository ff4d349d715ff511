/**
 * Prepared signatures laid out in shared memory, so that worker threads comparing pictures (dedupe's verification)
 * view them instead of receiving copies: a prepared signature is ~21 KB (its coarse vectors and 64×64 detail
 * raster), 2 GB for 100k pictures. The main thread's PreparedSignature objects view the same memory, so preparing
 * into an arena costs no more than preparing into ordinary arrays.
 *
 * Memory is in blocks of BLOCK_SLOTS signatures (one SharedArrayBuffer each for vectors, thumbnails and shapes), so
 * no single allocation grows with the catalog.
 */
import { PREPARED_FLOATS, THUMB_SIZE, prepareSignature, viewPreparedSignature, type ImageSignature, type PreparedSignature } from './phash.js';

const BLOCK_SLOTS = 4096;
const THUMB_BYTES = THUMB_SIZE * THUMB_SIZE;

/** What a worker needs to view an arena (SharedArrayBuffers travel by reference in postMessage). */
export interface SignatureArena {
  readonly count: number;
  readonly blocks: readonly {
    /** PREPARED_FLOATS floats per slot. */
    vectors: SharedArrayBuffer;
    /** THUMB_SIZE² bytes per slot. */
    thumbs: SharedArrayBuffer;
    /** aspect, content share per slot (f64, as the signature held them); NaN aspect where a slot is empty. */
    shapes: SharedArrayBuffer;
  }[];
}

/** The arena and slot each arena-backed PreparedSignature lives in. */
const homes = new WeakMap<PreparedSignature, { arena: SignatureArena; slot: number }>();

/** Where `p` lives, when it was prepared by prepareSignatures. */
export function arenaSlotOf(p: PreparedSignature): { arena: SignatureArena; slot: number } | undefined {
  return homes.get(p);
}

/** Prepares each signature (slot i for signature i; undefined stays undefined) into one shared arena. */
export function prepareSignatures(sigs: readonly (ImageSignature | undefined)[]): { arena: SignatureArena; prepared: (PreparedSignature | undefined)[] } {
  const blocks: SignatureArena['blocks'][number][] = [];
  for (let start = 0; start < sigs.length; start += BLOCK_SLOTS) {
    const n = Math.min(BLOCK_SLOTS, sigs.length - start);
    blocks.push({
      vectors: new SharedArrayBuffer(n * PREPARED_FLOATS * 4),
      thumbs: new SharedArrayBuffer(n * THUMB_BYTES),
      shapes: new SharedArrayBuffer(n * 2 * 8),
    });
  }
  const arena: SignatureArena = { count: sigs.length, blocks };
  const prepared = sigs.map((sig, slot) => {
    const { vectors, thumbs, shapes } = views(arena, slot);
    if (!sig) {
      shapes[0] = Number.NaN;
      return undefined;
    }
    thumbs.set(sig.thumb);
    shapes[0] = sig.aspect;
    shapes[1] = sig.content;
    const p = prepareSignature({ thumb: thumbs, aspect: sig.aspect, content: sig.content }, vectors);
    homes.set(p, { arena, slot });
    return p;
  });
  return { arena, prepared };
}

/** Every slot of an arena as PreparedSignatures viewing its memory (in a worker: nothing is recomputed). */
export function viewSignatures(arena: SignatureArena): (PreparedSignature | undefined)[] {
  return Array.from({ length: arena.count }, (_, slot) => {
    const { vectors, thumbs, shapes } = views(arena, slot);
    if (Number.isNaN(shapes[0])) return undefined;
    return viewPreparedSignature({ thumb: thumbs, aspect: shapes[0]!, content: shapes[1]! }, vectors);
  });
}

function views(arena: SignatureArena, slot: number): { vectors: Float32Array; thumbs: Uint8Array; shapes: Float64Array } {
  const block = arena.blocks[Math.floor(slot / BLOCK_SLOTS)]!;
  const i = slot % BLOCK_SLOTS;
  return {
    vectors: new Float32Array(block.vectors, i * PREPARED_FLOATS * 4, PREPARED_FLOATS),
    thumbs: new Uint8Array(block.thumbs, i * THUMB_BYTES, THUMB_BYTES),
    shapes: new Float64Array(block.shapes, i * 16, 2),
  };
}
