/**
 * Packed 8-bit RGB → the float tensor a model expects, driven by the manifest's input section. Pure and
 * allocation-free per image: a 3×256 lookup table replaces the per-pixel (x × scale − mean) / std.
 */
import { AppError } from '../../shared/errors.js';
import type { ManifestInput } from './manifest.js';

export interface PixelPacker {
  readonly width: number;
  readonly height: number;
  readonly layout: 'nchw' | 'nhwc';
  /** Floats per image (3 × width × height). */
  readonly size: number;
  /** Byte length of one packed RGB image. */
  readonly byteLength: number;
  /** Channel-major table: value of byte v in channel c is lut[c × 256 + v]. */
  readonly lut: Float32Array;
}

/** Builds the lookup table and sizes for a manifest input (values computed in float64, rounded once). */
export function createPixelPacker(input: ManifestInput): PixelPacker {
  const { scale, mean, std } = input.scaling;
  const lut = new Float32Array(3 * 256);
  for (const c of [0, 1, 2] as const) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v * scale - mean[c]) / std[c];
  }
  const pixels = input.width * input.height;
  return { width: input.width, height: input.height, layout: input.layout, size: 3 * pixels, byteLength: 3 * pixels, lut };
}

/**
 * Writes one image into `out` starting at `offset` (in floats); with `mirror`, its left-right mirror image.
 * @throws AppError('INVALID_INPUT') when `rgb` is not width × height × 3 bytes.
 */
export function packPixels(packer: PixelPacker, rgb: Uint8Array, out: Float32Array, offset: number, mirror = false): void {
  if (rgb.length !== packer.byteLength) {
    throw new AppError('INVALID_INPUT', `expected ${packer.width}×${packer.height} packed RGB (${packer.byteLength} bytes), got ${rgb.length} bytes`);
  }
  if (mirror) {
    packMirrored(packer, rgb, out, offset);
    return;
  }
  const { lut } = packer;
  const pixels = packer.width * packer.height;
  if (packer.layout === 'nhwc') {
    for (let i = 0, j = offset; i < rgb.length; i += 3, j += 3) {
      out[j] = lut[rgb[i]!]!;
      out[j + 1] = lut[256 + rgb[i + 1]!]!;
      out[j + 2] = lut[512 + rgb[i + 2]!]!;
    }
    return;
  }
  const g = offset + pixels;
  const b = offset + 2 * pixels;
  for (let p = 0, i = 0; p < pixels; p++, i += 3) {
    out[offset + p] = lut[rgb[i]!]!;
    out[g + p] = lut[256 + rgb[i + 1]!]!;
    out[b + p] = lut[512 + rgb[i + 2]!]!;
  }
}

/** packPixels for the mirrored image: source column x lands in column width − 1 − x. */
function packMirrored(packer: PixelPacker, rgb: Uint8Array, out: Float32Array, offset: number): void {
  const { lut, width, height } = packer;
  const pixels = width * height;
  const nhwc = packer.layout === 'nhwc';
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const p = y * width + (width - 1 - x);
      if (nhwc) {
        const j = offset + p * 3;
        out[j] = lut[rgb[i]!]!;
        out[j + 1] = lut[256 + rgb[i + 1]!]!;
        out[j + 2] = lut[512 + rgb[i + 2]!]!;
      } else {
        out[offset + p] = lut[rgb[i]!]!;
        out[offset + pixels + p] = lut[256 + rgb[i + 1]!]!;
        out[offset + 2 * pixels + p] = lut[512 + rgb[i + 2]!]!;
      }
    }
  }
}
