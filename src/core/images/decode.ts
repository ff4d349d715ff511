/**
 * Turns image bytes into exactly what an embedder consumes: EXIF-oriented, alpha flattened on white, sRGB,
 * 8-bit, 3 channels, resized to the model's input in the same sharp pipeline (so JPEG shrink-on-load applies).
 * sharp's native errors are classified here, once, into AppError codes.
 */
import { createHash } from 'node:crypto';
import sharp, { type FitEnum, type Metadata, type OutputInfo, type SharpOptions } from 'sharp';
import { AppError, isAppError } from '../../shared/errors.js';
import type { CropRect } from '../../shared/types.js';
import type { ModelInputSpec, ResizeMode } from '../models/embedder.js';
import type { RawImage } from './phash.js';

export { DEFAULT_MAX_FILE_BYTES, classifyFsError, readFileSnapshot, readImageFile, type FileSnapshot } from '../base/read-file.js';

/**
 * 100 megapixels: above every phone and full-frame camera, and a bound on what one decode may cost (a 100 MP
 * RGB image is 300 MB in memory, and up to `concurrency` of them decode at once). A decompression bomb (a tiny
 * file declaring 30000×30000) is refused from its header, before any pixel is decoded. Medium-format users
 * raise it with `--max-pixels`.
 */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/**
 * The most pixels an image decoded downscaled may have (DecodeOptions.downscale): 500 MP, so a decompression bomb
 * (30000×30000) is still refused from its header.
 */
export const DOWNSCALE_MAX_PIXELS = 500_000_000;

export interface DecodeOptions {
  /** A rectangle in the oriented image's pixel space; the model sees only that region. */
  crop?: CropRect;
  /** Refuse images with more pixels than this (IMAGE_TOO_LARGE). */
  maxPixels?: number;
  /**
   * Decode an image over `maxPixels` (up to DOWNSCALE_MAX_PIXELS) instead of refusing it. Memory stays bounded as
   * the pipeline only ever reduces to the model's size: JPEG and WebP shrink on load (a 12000×12000 JPEG peaks at
   * ~8 MB), other formats stream through libvips' sequential reduce (~60 MB for a 12000×12000 PNG).
   */
  downscale?: boolean;
}

/** The pixel limit a decode applies: `maxPixels`, or DOWNSCALE_MAX_PIXELS when it may decode downscaled. */
export function pixelLimit(options: { maxPixels?: number | undefined; downscale?: boolean | undefined }): number {
  const limit = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  return options.downscale ? Math.max(limit, DOWNSCALE_MAX_PIXELS) : limit;
}

export interface DecodedImage {
  /** Packed 8-bit RGB of `spec.width × spec.height`. */
  pixels: Buffer;
  /** The oriented source image's size (before any crop or resize). */
  width: number;
  height: number;
  /** `jpeg`, `png`, `webp`, `avif`, `heif`, `tiff`, `gif`, ... */
  format: string;
  /**
   * The whole upright picture at up to DETAIL_SCALE × the model's input (never enlarged), when asked for
   * (decodeForIndex `detail`): what a crop of a region is cut from (cropForModel) without decoding the file again.
   */
  detail?: RawImage;
}

/** A region crop cut from the detail picture keeps about the detail of a crop decoded from the file, down to half its side. */
export const DETAIL_SCALE = 2;

const WHITE = { r: 255, g: 255, b: 255 };

const FIT: Record<ResizeMode, keyof FitEnum> = { squash: 'fill', 'center-crop': 'cover', pad: 'contain' };

/** The content hash that recognises a moved file or an identical copy: SHA-256 of the bytes. */
export function contentHash(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/**
 * Decodes `bytes` into the model's input.
 * @throws AppError EMPTY_FILE, UNSUPPORTED_IMAGE, CORRUPT_IMAGE, IMAGE_TOO_LARGE, or INVALID_INPUT for a crop
 *   outside the image.
 */
export async function decodeForModel(bytes: Buffer, spec: ModelInputSpec, options: DecodeOptions = {}): Promise<DecodedImage> {
  if (bytes.length === 0) throw new AppError('EMPTY_FILE', 'The file is empty.');
  const sharpOptions = modelSharpOptions(pixelLimit(options));
  let decoded: { data: Buffer; info: OutputInfo; width: number; height: number; format: string };
  let header: DecodeContext | undefined;
  try {
    const { meta, width, height } = await orientedSize(bytes, sharpOptions);
    header = { format: formatName(meta), width, height, bytes: bytes.length };
    let pipeline = sharp(bytes, sharpOptions).rotate();
    if (options.crop) {
      const c = options.crop;
      if (c.x + c.width > width || c.y + c.height > height) {
        throw new AppError(
          'INVALID_INPUT',
          `The crop ${c.x},${c.y},${c.width},${c.height} lies outside the ${width}×${height} image.`,
        );
      }
      // Called after rotate(), so the rectangle is in the oriented image's pixel space.
      pipeline = pipeline.extract({ left: c.x, top: c.y, width: c.width, height: c.height });
    }
    const { data, info } = await pipeline
      .flatten({ background: WHITE })
      .toColourspace('srgb')
      .resize(spec.width, spec.height, { fit: FIT[spec.resize], position: 'centre', background: WHITE })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    decoded = { data, info, width, height, format: formatName(meta) };
  } catch (err) {
    throw classifySharpError(err, header, pixelLimit(options));
  }
  const { info } = decoded;
  if (info.width !== spec.width || info.height !== spec.height || info.channels !== 3) {
    throw new Error(`sharp produced ${info.width}×${info.height}×${info.channels}, expected ${spec.width}×${spec.height}×3`);
  }
  return { pixels: decoded.data, width: decoded.width, height: decoded.height, format: decoded.format };
}

/**
 * The rectangle `crop` (oriented pixels) of an image, as PNG bytes at full detail: what an OCR of a cropped query
 * reads.
 * @throws sharp's error for an undecodable image or a crop outside it
 */
export async function cropImage(bytes: Buffer, crop: CropRect, maxPixels?: number): Promise<Buffer> {
  return sharp(bytes, modelSharpOptions(pixelLimit({ maxPixels }))).rotate().extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height }).png().toBuffer();
}

/** The model's input and, when it can stand in for the perceptual signature's own decode, the picture it came from. */
export interface IndexDecode extends DecodedImage {
  /**
   * The upright picture (packed RGB, alpha on white, sRGB) that `pixels` is the centre of, resized so that it just
   * covers the model's input; null when the signature needs its own decode (see decodeForIndex).
   */
  upright: RawImage | null;
}

/**
 * Longest side of an `upright` picture, relative to the signature's own decode side (phash DECODE_SIDE, 256): above
 * 2× (a panorama or a strip) the signature's trimming and resampling would see a rather different picture.
 */
const MAX_UPRIGHT_SIDE = 512;
/** Past this aspect ratio the covering picture would be needlessly large; such images take decodeForModel's path. */
const MAX_SHARED_ASPECT = 8;

/**
 * Decodes `bytes` once for both things the index job needs from it: the model's input, bit for bit what
 * decodeForModel gives, and (in `upright`) a small upright picture to compute the perceptual signature from, which
 * otherwise costs a second read and a second decode of the file after indexing. For a centre-crop model sharp resizes
 * to the size that covers the input (`fit: 'outside'`, the same scale and the same JPEG shrink-on-load as `cover`) and
 * the centre is cut out here, with sharp's own rounding of the centre offset. Other resize modes, and images that
 * would be enlarged or come out far larger than the signature's decode, get `upright: null`.
 * @throws AppError EMPTY_FILE, UNSUPPORTED_IMAGE, CORRUPT_IMAGE, IMAGE_TOO_LARGE
 */
export async function decodeForIndex(bytes: Buffer, spec: ModelInputSpec, options: { maxPixels?: number; detail?: boolean; downscale?: boolean } = {}): Promise<IndexDecode> {
  const decoded = await decodeForIndexOnly(bytes, spec, options);
  if (!options.detail) return decoded;
  return { ...decoded, detail: await decodeDetail(bytes, spec, pixelLimit(options)) };
}

/** The upright picture covering DETAIL_SCALE × the model's input, never enlarged (see DecodedImage.detail). */
async function decodeDetail(bytes: Buffer, spec: ModelInputSpec, maxPixels: number): Promise<RawImage> {
  try {
    const { data, info } = await sharp(bytes, modelSharpOptions(maxPixels))
      .rotate()
      .flatten({ background: WHITE })
      .toColourspace('srgb')
      .resize(spec.width * DETAIL_SCALE, spec.height * DETAIL_SCALE, { fit: 'outside', withoutEnlargement: true })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 3 };
  } catch (err) {
    throw classifySharpError(err);
  }
}

/**
 * The model's input for a rectangle of the oriented image (`width × height`), cut from its detail picture: what
 * decodeForModel with that crop gives, from pixels already decoded.
 * @throws AppError INVALID_INPUT for a rectangle outside the image.
 */
export async function cropForModel(detail: RawImage, width: number, height: number, crop: CropRect, spec: ModelInputSpec): Promise<Buffer> {
  if (crop.x < 0 || crop.y < 0 || crop.width <= 0 || crop.height <= 0 || crop.x + crop.width > width || crop.y + crop.height > height) {
    throw new AppError('INVALID_INPUT', `The crop ${crop.x},${crop.y},${crop.width},${crop.height} lies outside the ${width}×${height} image.`);
  }
  const sx = detail.width / width;
  const sy = detail.height / height;
  const left = Math.min(detail.width - 1, Math.floor(crop.x * sx));
  const top = Math.min(detail.height - 1, Math.floor(crop.y * sy));
  const w = Math.max(1, Math.min(detail.width - left, Math.round(crop.width * sx)));
  const h = Math.max(1, Math.min(detail.height - top, Math.round(crop.height * sy)));
  try {
    return await sharp(detail.data, { raw: { width: detail.width, height: detail.height, channels: 3 } })
      .extract({ left, top, width: w, height: h })
      .resize(spec.width, spec.height, { fit: FIT[spec.resize], position: 'centre', background: WHITE })
      .raw({ depth: 'uchar' })
      .toBuffer();
  } catch (err) {
    throw classifySharpError(err);
  }
}

/** The facts and the signature's picture of an image, without the model's input: the first pass of a progressive run. */
export interface FingerprintDecode {
  width: number;
  height: number;
  format: string;
  /** Upright, alpha on white, sRGB, at most FINGERPRINT_SIDE a side (never enlarged): what the signature is made from. */
  upright: RawImage;
}

/** The side of a fingerprint's picture: the perceptual signature's own decode (phash DECODE_SIDE). */
const FINGERPRINT_SIDE = 256;

/**
 * Decodes `bytes` just far enough for the perceptual signature: JPEG and WebP shrink on load to ~1/8, so this costs
 * a fraction of the model's decode, and the same limits and error classes apply as to decodeForModel.
 * @throws AppError EMPTY_FILE, UNSUPPORTED_IMAGE, CORRUPT_IMAGE, IMAGE_TOO_LARGE
 */
export async function decodeForFingerprint(bytes: Buffer, options: { maxPixels?: number; downscale?: boolean } = {}): Promise<FingerprintDecode> {
  if (bytes.length === 0) throw new AppError('EMPTY_FILE', 'The file is empty.');
  const sharpOptions = modelSharpOptions(pixelLimit(options));
  let header: DecodeContext | undefined;
  try {
    const { meta, width, height } = await orientedSize(bytes, sharpOptions);
    header = { format: formatName(meta), width, height, bytes: bytes.length };
    const { data, info } = await sharp(bytes, sharpOptions)
      .rotate()
      .resize(FINGERPRINT_SIDE, FINGERPRINT_SIDE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: WHITE })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { width, height, format: header.format, upright: { data, width: info.width, height: info.height, channels: info.channels } };
  } catch (err) {
    throw classifySharpError(err, header, pixelLimit(options));
  }
}

async function decodeForIndexOnly(bytes: Buffer, spec: ModelInputSpec, options: { maxPixels?: number; downscale?: boolean }): Promise<IndexDecode> {
  if (spec.resize !== 'center-crop') return { ...(await decodeForModel(bytes, spec, options)), upright: null };
  if (bytes.length === 0) throw new AppError('EMPTY_FILE', 'The file is empty.');
  const sharpOptions = modelSharpOptions(pixelLimit(options));
  let meta: Metadata;
  let width: number;
  let height: number;
  let data: Buffer;
  let info: OutputInfo;
  let header: DecodeContext | undefined;
  try {
    ({ meta, width, height } = await orientedSize(bytes, sharpOptions));
    header = { format: formatName(meta), width, height, bytes: bytes.length };
    const aspect = Math.max(width / height, height / width) / Math.max(spec.width / spec.height, spec.height / spec.width);
    if (aspect > MAX_SHARED_ASPECT) return { ...(await decodeForModel(bytes, spec, options)), upright: null };
    ({ data, info } = await sharp(bytes, sharpOptions)
      .rotate()
      .flatten({ background: WHITE })
      .toColourspace('srgb')
      .resize(spec.width, spec.height, { fit: 'outside' })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw classifySharpError(err, header, pixelLimit(options));
  }
  if (info.width < spec.width || info.height < spec.height || info.channels !== 3) {
    throw new Error(`sharp produced ${info.width}×${info.height}×${info.channels}, expected to cover ${spec.width}×${spec.height}×3`);
  }
  const pixels = centreCrop(data, info.width, info.height, spec.width, spec.height);
  const enlarged = info.width > width || info.height > height;
  const shareable = !enlarged && Math.max(info.width, info.height) <= MAX_UPRIGHT_SIDE;
  return {
    pixels,
    width,
    height,
    format: formatName(meta),
    upright: shareable ? { data, width: info.width, height: info.height, channels: 3 } : null,
  };
}

/** The w×h centre of packed RGB, offset as sharp's centre gravity rounds it ((excess + 1) / 2, rounded down). */
function centreCrop(rgb: Buffer, width: number, height: number, w: number, h: number): Buffer {
  const left = Math.floor((width - w + 1) / 2);
  const top = Math.floor((height - h + 1) / 2);
  if (left === 0 && top === 0 && width === w && height === h) return rgb;
  const out = Buffer.allocUnsafe(w * h * 3);
  for (let y = 0; y < h; y++) {
    const from = ((top + y) * width + left) * 3;
    rgb.copy(out, y * w * 3, from, from + w * 3);
  }
  return out;
}

function modelSharpOptions(maxPixels: number): SharpOptions {
  return {
    limitInputPixels: maxPixels,
    // Truncated or damaged data is an error, not a half-grey picture with a plausible embedding.
    failOn: 'error',
  };
}

/** The header and the size of the image as displayed (EXIF orientation applied). */
async function orientedSize(bytes: Buffer, sharpOptions: SharpOptions): Promise<{ meta: Metadata; width: number; height: number }> {
  // The header alone is read here (no pixels), so the limit applies below, where it can say the image's size.
  const meta = await sharp(bytes, { ...sharpOptions, limitInputPixels: false }).metadata();
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new AppError('CORRUPT_IMAGE', 'The image has no size.');
  const limit = sharpOptions.limitInputPixels;
  if (typeof limit === 'number' && width * height > limit) throw tooManyPixels(width, height, limit);
  return { meta, width, height };
}

/**
 * Whether a failure's reason is a photo refused for its pixels alone (tooManyPixels' words) that a downscaled
 * decode would take (at most DOWNSCALE_MAX_PIXELS).
 */
export function refusedForPixels(reason: string): boolean {
  const m = /^The image is (\d+)×(\d+) \(/.exec(reason);
  return m !== null && /more than the limit of/.test(reason) && Number(m[1]) * Number(m[2]) <= DOWNSCALE_MAX_PIXELS;
}

/** "More than the limit" left the user guessing what the limit is and how to get past it. */
function tooManyPixels(width: number, height: number, limit: number, cause?: unknown): AppError {
  return new AppError(
    'IMAGE_TOO_LARGE',
    `The image is ${width}×${height} (${(width * height).toLocaleString('en')} pixels), more than the limit of ${limit.toLocaleString('en')} pixels. ` +
      'To index it, raise the limit (lookalike --max-pixels N; each pixel costs 3-4 bytes of memory while it is decoded), save a smaller copy, ' +
      'or index its collection downscaled ("Index downscaled" in the list of failed files).',
    cause === undefined ? undefined : { cause },
  );
}

function formatName(meta: Metadata): string {
  if (meta.format === 'heif' && meta.compression === 'av1') return 'avif';
  return meta.format ?? 'unknown';
}

/** What was known of an image when its pixels failed to decode: its header was read, its data was not. */
export interface DecodeContext {
  format: string;
  width: number;
  height: number;
  bytes: number;
}

/**
 * Maps a sharp/libvips error to the code a user can act on; AppErrors pass through. With `header` (the header
 * read, the data not), a damaged image says what its header promised: libvips' own words for a PNG with a large
 * header and a few bytes of data were just "Unknown error" or "libpng read error".
 */
export function classifySharpError(thrown: unknown, header?: DecodeContext, maxPixels?: number): AppError {
  if (isAppError(thrown)) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  const err = detachedCause(thrown, message);
  const first = message.split('\n')[0]!.trim();
  if (/buffer is empty/i.test(message)) return new AppError('EMPTY_FILE', 'The file is empty.', { cause: err });
  if (/pixel limit/i.test(message)) {
    return header && maxPixels !== undefined
      ? tooManyPixels(header.width, header.height, maxPixels, err)
      : new AppError('IMAGE_TOO_LARGE', 'The image has more pixels than the configured limit.', { cause: err });
  }
  if (/unsupported image format/i.test(message)) {
    return new AppError('UNSUPPORTED_IMAGE', 'Not an image format this app can read.', { cause: err });
  }
  if (/unsupported|not supported|no decoder|codec/i.test(message)) {
    return new AppError('UNSUPPORTED_IMAGE', `An image variant this app cannot decode: ${first}`, { cause: err });
  }
  if (/bad extract area/i.test(message)) return new AppError('INVALID_INPUT', 'The crop lies outside the image.', { cause: err });
  if (header) {
    const { format, width, height, bytes } = header;
    return new AppError(
      'CORRUPT_IMAGE',
      `The ${format.toUpperCase()} image is damaged or cut short: its header says ${width} × ${height} pixels, but its ${bytes.toLocaleString('en-US')} bytes do not decode (${first}).`,
      { cause: err },
    );
  }
  return new AppError('CORRUPT_IMAGE', `The image is damaged: ${first}`, { cause: err });
}

/**
 * A copy of sharp's error that holds only text. sharp rejects with an Error it created when the call began, and that
 * object keeps the sharp instance, and with it the input buffer, reachable for as long as the error lives: an index
 * job keeps each file's failure until its batch is committed, so six unreadable 510 MB files stayed resident at once
 * (3.1 GiB) although only one was read at a time.
 */
function detachedCause(err: unknown, message: string): Error {
  const copy = new Error(message);
  copy.stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : message;
  return copy;
}
