import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { alterImage } from '../eval/alterations.js';
import {
  computeSignature,
  decodeSignature,
  encodeSignature,
  matchPictures,
  prepareSignature,
  rotateSignature,
  signatureFromRaw,
  trimBox,
  turnedLayout,
  type PreparedSignature,
} from './phash.js';
import { scene } from '../../../test/support/synthetic.js';

const sign = async (bytes: Buffer): Promise<PreparedSignature> => prepareSignature(await computeSignature(bytes));
const agreement = (a: PreparedSignature, b: PreparedSignature) => matchPictures(a, b, { accept: 1 }).agreement;

describe('trimBox', () => {
  it('strips a white pad and keeps a picture without one whole', async () => {
    const { data, info } = await scene(1, 200, 100)
      .extend({ top: 10, bottom: 20, left: 30, right: 5, background: '#ffffff' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(trimBox({ data, width: info.width, height: info.height, channels: info.channels })).toEqual({ left: 30, top: 10, width: 200, height: 100 });
    const plain = await scene(1, 200, 100).raw().toBuffer({ resolveWithObject: true });
    expect(trimBox({ data: plain.data, width: 200, height: 100, channels: plain.info.channels })).toEqual({ left: 0, top: 0, width: 200, height: 100 });
  });

  it('leaves a blank picture its frame', () => {
    const data = new Uint8Array(50 * 40 * 3).fill(255);
    expect(trimBox({ data, width: 50, height: 40, channels: 3 })).toEqual({ left: 0, top: 0, width: 50, height: 40 });
  });
});

describe('signatures', () => {
  it('round-trip through their bytes and reject another version', async () => {
    const sig = await computeSignature(await scene(2).jpeg().toBuffer());
    const bytes = encodeSignature(sig);
    const back = decodeSignature(bytes)!;
    expect(back.thumb).toEqual(sig.thumb);
    expect(back.aspect).toBeCloseTo(sig.aspect, 5);
    expect(back.content).toBeCloseTo(sig.content, 5);
    const other = Buffer.from(bytes);
    other[0] = 99;
    expect(decodeSignature(other)).toBeNull();
  });

  it('thumbnails bit for bit as the per-pixel area average they were stored with (grey, RGB, RGBA; padded, odd sizes)', async () => {
    // The resampling before its grey plane and per-axis taps were computed once: each cell's weighted sum of greyAt().
    const reference = (img: { data: Uint8Array; width: number; height: number; channels: number }): Uint8Array => {
      const box = trimBox(img);
      const grey = (x: number, y: number) => {
        const at = (y * img.width + x) * img.channels;
        return img.channels < 3 ? (img.data[at] ?? 0) : 0.299 * (img.data[at] ?? 0) + 0.587 * (img.data[at + 1] ?? 0) + 0.114 * (img.data[at + 2] ?? 0);
      };
      const size = 64;
      const thumb = new Uint8Array(size * size);
      const sx = box.width / size;
      const sy = box.height / size;
      for (let gy = 0; gy < size; gy++) {
        const y0 = box.top + gy * sy;
        const y1 = y0 + sy;
        for (let gx = 0; gx < size; gx++) {
          const x0 = box.left + gx * sx;
          const x1 = x0 + sx;
          let sum = 0;
          let weight = 0;
          for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
            const wy = Math.min(y + 1, y1) - Math.max(y, y0);
            if (wy <= 0) continue;
            for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
              const wx = Math.min(x + 1, x1) - Math.max(x, x0);
              if (wx <= 0) continue;
              sum += grey(Math.min(x, img.width - 1), Math.min(y, img.height - 1)) * wx * wy;
              weight += wx * wy;
            }
          }
          thumb[gy * size + gx] = Math.max(0, Math.min(255, Math.round(weight > 0 ? sum / weight : 0)));
        }
      }
      return thumb;
    };
    const cases = [
      await scene(4, 192, 256).removeAlpha().raw().toBuffer({ resolveWithObject: true }),
      await scene(5, 257, 193).removeAlpha().extend({ top: 7, left: 11, background: '#ffffff' }).raw().toBuffer({ resolveWithObject: true }),
      await scene(6, 100, 77).ensureAlpha().raw().toBuffer({ resolveWithObject: true }),
      await scene(7, 63, 130).greyscale().toColourspace('b-w').raw().toBuffer({ resolveWithObject: true }),
    ];
    expect(cases.map((c) => c.info.channels)).toEqual([3, 3, 4, 1]);
    for (const { data, info } of cases) {
      const img = { data, width: info.width, height: info.height, channels: info.channels };
      expect(Buffer.from(signatureFromRaw(img).thumb).equals(Buffer.from(reference(img))), `${info.width}×${info.height}×${info.channels}`).toBe(true);
    }
  });

  it('refuses a buffer too short for its geometry', () => {
    expect(() => signatureFromRaw({ data: new Uint8Array(10), width: 10, height: 10, channels: 3 })).toThrow(/needs more bytes/);
  });

  it('line up every kind of generated copy with its source, and not with another picture', async () => {
    const source = await scene(3, 480, 360).jpeg({ quality: 92 }).toBuffer();
    const original = await sign(source);
    for (const kind of ['resize', 'jpeg', 'crop', 'color', 'watermark', 'flip', 'pad', 'exif', 'webp', 'png'] as const) {
      const copy = await sign((await alterImage(source, kind)).data);
      expect(agreement(original, copy), kind).toBeGreaterThanOrEqual(0.5);
    }
    const flipped = await sign((await alterImage(source, 'flip')).data);
    expect(matchPictures(original, flipped, { accept: 1 }).alignment.mirrored).toBe(true);
    for (const seed of [4, 5, 6]) {
      expect(agreement(original, await sign(await scene(seed, 480, 360).jpeg().toBuffer())), `scene ${seed}`).toBeLessThan(0.5);
    }
  });

  it('line up a centred 75% crop cheaply, and crops of other sizes and places with the search', async () => {
    const source = await scene(7, 480, 360).jpeg({ quality: 92 }).toBuffer();
    const a = await sign(source);
    const crop = async (left: number, top: number, width: number, height: number) =>
      sign(await sharp(source).extract({ left, top, width, height }).jpeg({ quality: 90 }).toBuffer());
    expect(matchPictures(a, await crop(60, 45, 360, 270), { accept: 0.5 }).agreement).toBeGreaterThanOrEqual(0.5);
    for (const [left, top, width, height] of [
      [48, 36, 384, 288], // centred 80%
      [0, 0, 360, 270], // a corner
      [12, 9, 456, 342], // 95%
    ] as const) {
      const b = await crop(left, top, width, height);
      const found = matchPictures(a, b, { accept: 0.5, search: true });
      expect(found.agreement, `${left},${top} ${width}×${height}`).toBeGreaterThanOrEqual(0.5);
      expect(found.alignment.x * 480).toBeCloseTo(left, -1);
      expect(found.alignment.y * 360).toBeCloseTo(top, -1);
    }
  });

  it('compare alike whatever was compared before (the resampler reuses its working arrays)', async () => {
    const source = await scene(8, 480, 360).jpeg({ quality: 92 }).toBuffer();
    const a = await sign(source);
    // A corner crop: only the search and its refinement line it up.
    const b = await sign(await sharp(source).extract({ left: 0, top: 0, width: 340, height: 255 }).jpeg({ quality: 90 }).toBuffer());
    const others = await Promise.all([9, 10].map(async (seed) => sign(await scene(seed, 300, 420).jpeg().toBuffer())));
    // Pairs of other sizes and layouts through every raster path (whole, crops, search, refine), in this module...
    for (const o of others) {
      matchPictures(o, a, { accept: 1, search: true });
      matchPictures(b, o, { accept: 1, search: true });
    }
    const used = matchPictures(a, b, { accept: 1, search: true });
    // ...against a fresh copy of the module, whose working arrays nothing has touched yet.
    vi.resetModules();
    const fresh = (await import('./phash.js')) as typeof import('./phash.js');
    expect(used).toEqual(fresh.matchPictures(a, b, { accept: 1, search: true }));
    expect(used.agreement).toBeGreaterThan(0.5);
    expect(used.alignment.w).toBeLessThan(0.8);
  });

  it('give a blank card no agreement with anything', async () => {
    const blank = await sign(await sharp({ create: { width: 300, height: 200, channels: 3, background: '#f0f0f0' } }).jpeg().toBuffer());
    expect(agreement(blank, blank)).toBe(0);
  });
});

describe('decoding for signatures', () => {
  it('reads 16-bit and transparent PNGs as 8-bit pixels on white', async () => {
    const rgba = await scene(11, 200, 150).png().toBuffer();
    const deep = await sharp(rgba).toColourspace('rgb16').png().toBuffer();
    const a = await computeSignature(rgba);
    const b = await computeSignature(deep);
    expect(b.thumb.length).toBe(a.thumb.length);
    expect(agreement(prepareSignature(a), prepareSignature(b))).toBeGreaterThan(0.9);
    const transparent = await sharp({ create: { width: 100, height: 80, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    expect((await computeSignature(transparent)).thumb.every((v) => v === 255)).toBe(true);
  });
});

describe('rotateSignature', () => {
  it('turns a signature as the pixels turn, so a copy turned without EXIF lines up', async () => {
    const original = await scene(31, 320, 240).jpeg().toBuffer();
    const sig = await computeSignature(original);
    for (const quarters of [1, 2, 3] as const) {
      const turned = await sign(await sharp(original).rotate(90 * quarters).jpeg().toBuffer());
      expect(agreement(prepareSignature(rotateSignature(sig, quarters)), turned)).toBeGreaterThan(0.7);
      expect(agreement(prepareSignature(sig), turned)).toBeLessThan(0.5);
    }
  });
  it("gives a turned picture's whole layout alone, the same vector a full preparation holds", async () => {
    const sig = await computeSignature(await scene(32, 300, 200).jpeg().toBuffer());
    for (const quarters of [1, 2, 3] as const) {
      expect(Array.from(turnedLayout(sig, quarters))).toEqual(Array.from(prepareSignature(rotateSignature(sig, quarters)).whole[0]));
    }
    expect(Array.from(turnedLayout(sig, 1))).not.toEqual(Array.from(prepareSignature(sig).whole[0]));
  });
});
