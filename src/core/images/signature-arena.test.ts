import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../base/linalg.js';
import { matchPictures, prepareSignature, signatureFromRaw, type ImageSignature } from './phash.js';
import { arenaSlotOf, prepareSignatures, viewSignatures } from './signature-arena.js';

function noise(seed: number, width: number, height: number): ImageSignature {
  const rand = mulberry32(seed);
  const data = Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rand() * 256));
  return signatureFromRaw({ data, width, height, channels: 3 });
}

describe('prepareSignatures', () => {
  // More than one block of slots, with gaps, so slot arithmetic across blocks is exercised.
  const sigs = Array.from({ length: 4100 }, (_, i) => (i % 7 === 3 ? undefined : i % 1000 === 0 || i > 4090 ? noise(i, 40 + (i % 5), 30) : undefined));

  it('prepares what prepareSignature prepares, and a worker view of the arena sees the same vectors', () => {
    const { arena, prepared } = prepareSignatures(sigs);
    const viewed = viewSignatures(arena);
    sigs.forEach((sig, i) => {
      if (!sig) {
        expect(prepared[i]).toBeUndefined();
        expect(viewed[i]).toBeUndefined();
        return;
      }
      const alone = prepareSignature(sig);
      for (const p of [prepared[i]!, viewed[i]!]) {
        expect(p.whole).toEqual(alone.whole);
        expect(p.centre).toEqual(alone.centre);
        expect(p.detail).toEqual(alone.detail);
        expect(p.sig).toEqual(alone.sig);
      }
      expect(arenaSlotOf(prepared[i]!)).toEqual({ arena, slot: i });
    });
  });

  it('compares arena-backed pictures exactly as ordinary ones', () => {
    const { prepared } = prepareSignatures(sigs);
    const present = sigs.flatMap((s, i) => (s ? [i] : []));
    for (const [x, y] of [[present[0]!, present[1]!], [present[2]!, present[present.length - 1]!]] as const) {
      const plain = matchPictures(prepareSignature(sigs[x]!), prepareSignature(sigs[y]!), { accept: 0.5, search: true });
      expect(matchPictures(prepared[x]!, prepared[y]!, { accept: 0.5, search: true })).toEqual(plain);
    }
    expect(arenaSlotOf(prepareSignature(sigs[present[0]!]!))).toBeUndefined();
  });
});
