import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ALTERATION_KINDS, alterImage, sampleDeterministic } from './alterations.js';

async function fixture(): Promise<Buffer> {
  // A non-symmetric picture so that flips and rotations really change the pixels.
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="120">
    <rect width="200" height="120" fill="#3a6ea5"/><circle cx="50" cy="60" r="30" fill="#f2c14e"/>
    <rect x="120" y="20" width="60" height="30" fill="#d1495b"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 95 }).toBuffer();
}

describe('alterImage', () => {
  it('produces a decodable, really different copy for every kind', async () => {
    const src = await fixture();
    const srcRaw = await sharp(src).resize(32, 32, { fit: 'fill' }).raw().toBuffer();
    for (const kind of ALTERATION_KINDS) {
      const out = await alterImage(src, kind);
      const meta = await sharp(out.data).metadata();
      expect(meta.format, kind).toBe(out.ext === 'jpg' ? 'jpeg' : out.ext);
      if (kind === 'jpeg' || kind === 'webp') continue; // recompression keeps the geometry
      const raw = await sharp(out.data).rotate().resize(32, 32, { fit: 'fill' }).raw().toBuffer();
      expect(raw.equals(srcRaw), `${kind} changed nothing`).toBe(false);
    }
  });

  it('keeps the upright geometry of an EXIF-rotated copy and changes the stored one', async () => {
    const out = await alterImage(await fixture(), 'exif');
    const meta = await sharp(out.data).metadata();
    expect(meta.orientation).toBe(6);
    expect([meta.width, meta.height]).toEqual([120, 200]);
    expect([meta.autoOrient?.width, meta.autoOrient?.height]).toEqual([200, 120]);
  });

  it('crops 25% off and pads with white', async () => {
    const src = await fixture();
    const crop = await sharp((await alterImage(src, 'crop')).data).metadata();
    expect([crop.width, crop.height]).toEqual([150, 90]);
    const pad = (await alterImage(src, 'pad')).data;
    const { data } = await sharp(pad).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(245);
  });
});

describe('sampleDeterministic', () => {
  it('is deterministic per seed and picks distinct items', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const a = sampleDeterministic(items, 10, 7);
    expect(sampleDeterministic(items, 10, 7)).toEqual(a);
    expect(new Set(a).size).toBe(10);
    expect(sampleDeterministic(items, 10, 8)).not.toEqual(a);
  });
});
