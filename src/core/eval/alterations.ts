/**
 * The near-duplicate alterations a catalog really contains (resized, recompressed, cropped, watermarked,
 * recoloured, mirrored, padded, EXIF-rotated copies). One definition serves `lookalike eval`, the dedupe and
 * match benchmarks and the tests, so every figure is measured against the same edits.
 */
import sharp from 'sharp';
import { missingCase } from '../../shared/errors.js';

export const ALTERATION_KINDS = [
  'resize',
  'jpeg',
  'crop',
  'color',
  'watermark',
  'flip',
  'pad',
  'exif',
  'webp',
  'png',
] as const;

export type AlterationKind = (typeof ALTERATION_KINDS)[number];

export interface Altered {
  kind: AlterationKind;
  /** File extension the bytes should be saved with (the format really changes for some kinds). */
  ext: 'jpg' | 'webp' | 'png';
  data: Buffer;
}

/** Text that describes each alteration, printed beside benchmark tables. */
export const ALTERATION_LABELS: Record<AlterationKind, string> = {
  resize: 'resized to 40%',
  jpeg: 'JPEG quality 25',
  crop: 'centre crop 75% (25% off each side in total)',
  color: 'brightness +15%, saturation +40%',
  watermark: 'watermark text and band',
  flip: 'horizontal mirror',
  pad: 'white padding 15% each side',
  exif: 'pixels rotated, EXIF orientation 6',
  webp: 'WebP quality 70',
  png: 'PNG re-encode, 70% size',
};

function watermarkSvg(width: number, height: number): Buffer {
  const size = Math.max(12, Math.round(Math.min(width, height) / 9));
  const band = Math.round(height * 0.12);
  // A translucent band plus repeated text, as shops stamp supplier photos; fonts are optional (the band is not).
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<rect x="0" y="${Math.round(height * 0.62)}" width="${width}" height="${band}" fill="#ffffff" fill-opacity="0.55"/>` +
      `<text x="50%" y="${Math.round(height * 0.62 + band * 0.75)}" text-anchor="middle" font-family="DejaVu Sans, sans-serif" ` +
      `font-size="${size}" font-weight="bold" fill="#202020" fill-opacity="0.7">SAMPLE © SHOP</text>` +
      `<text x="${Math.round(width * 0.05)}" y="${Math.round(height * 0.12)}" font-family="DejaVu Sans, sans-serif" ` +
      `font-size="${Math.round(size * 0.6)}" fill="#ffffff" fill-opacity="0.8" stroke="#000" stroke-opacity="0.4">lookalike.test</text>` +
      `</svg>`,
  );
}

/**
 * Produces one altered copy of an image (given as encoded bytes or a path).
 * @throws when sharp cannot decode the source.
 */
export async function alterImage(source: Buffer | string, kind: AlterationKind): Promise<Altered> {
  // Work from the upright image so every alteration is relative to what a person sees.
  const upright = await sharp(source).rotate().toBuffer({ resolveWithObject: true });
  const { width, height } = upright.info;
  const base = () => sharp(upright.data);
  switch (kind) {
    case 'resize':
      return {
        kind,
        ext: 'jpg',
        data: await base()
          .resize(Math.max(8, Math.round(width * 0.4)), Math.max(8, Math.round(height * 0.4)))
          .jpeg({ quality: 90 })
          .toBuffer(),
      };
    case 'jpeg':
      return { kind, ext: 'jpg', data: await base().jpeg({ quality: 25 }).toBuffer() };
    case 'crop': {
      const w = Math.max(8, Math.round(width * 0.75));
      const h = Math.max(8, Math.round(height * 0.75));
      const left = Math.floor((width - w) / 2);
      const top = Math.floor((height - h) / 2);
      return { kind, ext: 'jpg', data: await base().extract({ left, top, width: w, height: h }).jpeg({ quality: 90 }).toBuffer() };
    }
    case 'color':
      return { kind, ext: 'jpg', data: await base().modulate({ brightness: 1.15, saturation: 1.4 }).jpeg({ quality: 90 }).toBuffer() };
    case 'watermark':
      return {
        kind,
        ext: 'jpg',
        data: await base()
          .composite([{ input: watermarkSvg(width, height), top: 0, left: 0 }])
          .jpeg({ quality: 90 })
          .toBuffer(),
      };
    case 'flip':
      return { kind, ext: 'jpg', data: await base().flop().jpeg({ quality: 90 }).toBuffer() };
    case 'pad': {
      const px = Math.round(width * 0.15);
      const py = Math.round(height * 0.15);
      return {
        kind,
        ext: 'jpg',
        data: await base()
          .extend({ top: py, bottom: py, left: px, right: px, background: '#ffffff' })
          .jpeg({ quality: 90 })
          .toBuffer(),
      };
    }
    case 'exif':
      // Orientation 6 means "rotate 90° clockwise to display": store the pixels turned the other way.
      return { kind, ext: 'jpg', data: await base().rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer() };
    case 'webp':
      return { kind, ext: 'webp', data: await base().webp({ quality: 70 }).toBuffer() };
    case 'png':
      return {
        kind,
        ext: 'png',
        data: await base()
          .resize(Math.max(8, Math.round(width * 0.7)))
          .png({ compressionLevel: 6 })
          .toBuffer(),
      };
    default:
      return missingCase(kind);
  }
}

/** A small deterministic PRNG (mulberry32) so benchmark subsets are the same on every run and machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks `count` distinct elements, deterministically for a given seed. */
export function sampleDeterministic<T>(items: readonly T[], count: number, seed: number): T[] {
  const rand = seededRandom(seed);
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, Math.min(count, copy.length));
}
