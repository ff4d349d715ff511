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
});
