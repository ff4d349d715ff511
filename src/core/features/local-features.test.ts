import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { scene } from '../../../test/support/synthetic.js';
import { extractFeatures, verifyFeatures, verifyPair } from './local-features.js';

const photo = (seed: number) => scene(seed, 480, 640, { crisp: true }).jpeg({ quality: 92 }).toBuffer();

describe('verifyPair (ORB + RANSAC + pixel check)', () => {
  it('finds a copy turned by a few degrees, with its angle', async () => {
    const a = await photo(71);
    const b = await sharp(a).rotate(-9, { background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer();
    const v = await verifyPair(a, b);
    expect(v.verdict).toBe('duplicate');
    expect(v.reasons).toContain('rotated');
    expect(Math.abs(Math.abs(v.angle) - 9)).toBeLessThan(1);
    // The inliers' keypoints, pairwise and within each picture's keypoints (shared-frames.ts reads them).
    expect(v.inlierKeypoints.a.length).toBe(v.inliers);
    expect(v.inlierKeypoints.b.length).toBe(v.inliers);
    expect(new Set(v.inlierKeypoints.b).size).toBe(v.inliers);
  }, 30_000);

  it('finds a crop of a quarter of the picture inside the whole', async () => {
    const a = await photo(72);
    const b = await sharp(a).extract({ left: 100, top: 150, width: 240, height: 320 }).toBuffer();
    const v = await verifyPair(a, b);
    expect(v.verdict).toBe('duplicate');
    expect(v.reasons).toContain('cropped');
    expect(v.coverage.a).toBeLessThan(0.4);
  }, 30_000);

  it('calls two different pictures different, and a hue-shifted copy similar', async () => {
    const a = await photo(73);
    expect((await verifyPair(a, await photo(74))).verdict).toBe('different');
    const recoloured = await sharp(a).modulate({ hue: 150 }).jpeg().toBuffer();
    const v = await verifyFeatures(await extractFeatures(a), await extractFeatures(recoloured));
    expect(v.verdict).toBe('similar');
    expect(v.reasons).toEqual(['colour-variant']);
  }, 30_000);

  it('does not take a shared frame for the picture: two photos in one white frame with one caption', async () => {
    const framed = async (seed: number) =>
      sharp({ create: { width: 900, height: 900, channels: 3, background: '#ffffff' } })
        .composite([
          { input: await scene(seed, 400, 400, { crisp: true }).png().toBuffer(), left: 250, top: 120 },
          { input: await scene(99, 800, 200, { crisp: true }).png().toBuffer(), left: 50, top: 600 },
        ])
        .jpeg()
        .toBuffer();
    const v = await verifyPair(await framed(75), await framed(76));
    expect(v.verdict).toBe('different');
  }, 30_000);

  it('takes a band stamped across a copy for an edit, and a compact patch of the same area for other content', async () => {
    const a = await photo(77);
    // A flat strip across the whole width (a watermark or price banner), 17% of the picture, and a flat square of
    // the same area in the middle (another product's slot).
    const flat = (width: number, height: number) => ({ input: { create: { width, height, channels: 3 as const, background: '#ffffff' } } });
    const banded = await sharp(a)
      .composite([{ ...flat(480, 108), left: 0, top: 420 }])
      .jpeg({ quality: 90 })
      .toBuffer();
    const patched = await sharp(a)
      .composite([{ ...flat(228, 228), left: 126, top: 206 }])
      .jpeg({ quality: 90 })
      .toBuffer();
    const band = await verifyPair(a, banded);
    const slot = await verifyPair(a, patched);
    const facts = (v: typeof band) => ({ verdict: v.verdict, banded: v.banded, big: v.disagreement > 0.14 });
    expect(facts(band)).toEqual({ verdict: 'duplicate', banded: true, big: true });
    expect(facts(slot)).toEqual({ verdict: 'different', banded: false, big: true });
  }, 30_000);
});
