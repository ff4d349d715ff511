/**
 * Keras/TensorFlow padding rules expressed as explicit ONNX pads. TF's 'same' puts the odd pixel at the end
 * (bottom/right); ONNX wants [top, left, bottom, right]. Explicit pads keep the graph independent of
 * ONNX's auto_pad semantics, which runtimes have implemented inconsistently.
 */

export type KerasPadding = 'same' | 'valid';

/** Pads [before, after] along one axis for TF 'same' with the given input size, kernel, stride and dilation. */
export function samePads1d(inSize: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  const outSize = Math.ceil(inSize / stride);
  const total = Math.max((outSize - 1) * stride + effective - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Output size along one axis given explicit pads. */
export function outputSize1d(inSize: number, kernel: number, stride: number, dilation: number, before: number, after: number): number {
  const effective = (kernel - 1) * dilation + 1;
  const out = Math.floor((inSize + before + after - effective) / stride) + 1;
  if (out < 1) throw new Error(`kernel ${kernel} (dilation ${dilation}) does not fit an input of ${inSize} with pads ${before}+${after}`);
  return out;
}

export interface Window2d {
  kernel: readonly [number, number];
  strides: readonly [number, number];
  dilations: readonly [number, number];
}

export interface Padded2d {
  /** ONNX order: [top, left, bottom, right]. */
  pads: [number, number, number, number];
  outHeight: number;
  outWidth: number;
}

/**
 * Explicit ONNX pads and output size of a 2-D window over an H×W input. `extra` is zero padding folded in from
 * a preceding ZeroPadding2D, in ONNX order.
 */
export function pads2d(
  height: number,
  width: number,
  window: Window2d,
  padding: KerasPadding,
  extra: readonly [number, number, number, number] = [0, 0, 0, 0],
): Padded2d {
  const [kh, kw] = window.kernel;
  const [sh, sw] = window.strides;
  const [dh, dw] = window.dilations;
  const h = height + extra[0] + extra[2];
  const w = width + extra[1] + extra[3];
  const [top, bottom] = padding === 'same' ? samePads1d(h, kh, sh, dh) : [0, 0];
  const [left, right] = padding === 'same' ? samePads1d(w, kw, sw, dw) : [0, 0];
  const pads: [number, number, number, number] = [top + extra[0], left + extra[1], bottom + extra[2], right + extra[3]];
  return {
    pads,
    outHeight: outputSize1d(height, kh, sh, dh, pads[0], pads[2]),
    outWidth: outputSize1d(width, kw, sw, dw, pads[1], pads[3]),
  };
}

/** Normalises Keras ZeroPadding2D's `padding` (int, [h, w] or [[top, bottom], [left, right]]) to ONNX order. */
export function zeroPadding2d(padding: unknown): [number, number, number, number] {
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (isInt(padding)) return [padding, padding, padding, padding];
  if (Array.isArray(padding) && padding.length === 2) {
    const [a, b] = padding as unknown[];
    if (isInt(a) && isInt(b)) return [a, b, a, b];
    if (Array.isArray(a) && Array.isArray(b) && a.length === 2 && b.length === 2) {
      const [top, bottom] = a as unknown[];
      const [left, right] = b as unknown[];
      if (isInt(top) && isInt(bottom) && isInt(left) && isInt(right)) return [top, left, bottom, right];
    }
  }
  throw new Error(`unsupported ZeroPadding2D padding ${JSON.stringify(padding)}`);
}
