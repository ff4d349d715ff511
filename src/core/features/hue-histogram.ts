/**
 * A picture's colours as a chroma-weighted hue histogram, from a 32-pixel decode (a few milliseconds): the grey
 * layout signatures cannot tell one colour of a product from another, this can. Recoloured copies (brighter, more
 * saturated) keep their hues; a colour variant moves them; a greyscale copy has no chroma to compare.
 */
import sharp from 'sharp';

const BINS = 12;
/** Pixels with less chroma than this carry no hue (white, grey, black backgrounds). */
const MIN_CHROMA = 14;

export interface HueHistogram {
  /** Chroma-weighted share of each 30° hue bin (sums to 1 when `chroma` > 0). */
  bins: Float32Array;
  /** Mean chroma over all pixels (0 for a grey picture). */
  chroma: number;
}

/** @throws sharp's error when the picture cannot be decoded. */
export async function hueHistogram(input: Buffer | string): Promise<HueHistogram> {
  const { data, info } = await sharp(input, { failOn: 'none' })
    .rotate()
    .resize(32, 32, { fit: 'inside' })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const bins = new Float32Array(BINS);
  let weight = 0;
  let chromaSum = 0;
  const n = info.width * info.height;
  for (let i = 0; i < n; i++) {
    const r = data[i * info.channels]!;
    const g = data[i * info.channels + 1]!;
    const b = data[i * info.channels + 2]!;
    const u = r - (g + b) / 2;
    const v = (Math.sqrt(3) / 2) * (g - b);
    const c = Math.hypot(u, v);
    chromaSum += c;
    if (c < MIN_CHROMA) continue;
    const hue = (Math.atan2(v, u) * 180) / Math.PI + 180;
    bins[Math.min(BINS - 1, Math.floor(hue / (360 / BINS)))]! += c;
    weight += c;
  }
  if (weight > 0) for (let k = 0; k < BINS; k++) bins[k]! /= weight;
  return { bins, chroma: chromaSum / Math.max(1, n) };
}

/**
 * How far apart two pictures' hues are: the earth mover's distance between their histograms on the hue circle, in
 * degrees (0: same hues; 180: opposite). Undefined when either picture has too little colour to say.
 */
export function hueDistance(a: HueHistogram, b: HueHistogram): number | undefined {
  if (a.chroma < 6 || b.chroma < 6) return undefined;
  // Circular EMD: the 1-D EMD of the cumulative difference, minimised over the circle's cut point (its median).
  const cum = new Float32Array(BINS);
  let s = 0;
  for (let k = 0; k < BINS; k++) {
    s += a.bins[k]! - b.bins[k]!;
    cum[k] = s;
  }
  const sorted = Array.from(cum).sort((x, y) => x - y);
  const median = sorted[BINS >> 1]!;
  let emd = 0;
  for (let k = 0; k < BINS; k++) emd += Math.abs(cum[k]! - median);
  return emd * (360 / BINS);
}
