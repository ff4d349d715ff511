/**
 * Converts the part of a Keras (channels-last) CNN that feeds the requested taps into an NCHW ONNX graph with
 * pooling in-graph. Conv+BatchNorm pairs are folded (the BN is inference-only), ZeroPadding2D folds into the
 * next convolution's pads, and everything after the taps (the NSFW head) is never visited.
 *
 * Conversion arithmetic uses only +, −, ×, ÷ and sqrt (all correctly rounded in IEEE-754), never exp/log/pow,
 * so the bytes of the result are the same on every machine.
 */
import { z } from 'zod';
import { GraphBuilder, int, ints } from '../../src/core/base/onnx/graph-builder.js';
import type { KerasLayer, KerasModel } from './keras-topology.js';
import { requiredLayers } from './keras-topology.js';
import type { OnnxGraph } from '../../src/core/base/onnx/onnx-proto.js';
import { pads2d, zeroPadding2d } from './padding.js';
import type { Weight } from './tfjs-artifacts.js';

/**
 * How a tap's map becomes a vector. GeM is (mean over H, W of x^p)^(1/p); with `center` the mean is weighted by a
 * Gaussian centre prior whose σ is that fraction of the map's side (products are photographed centred, the
 * background at the edges is noise for retrieval).
 */
import type { TapPooling } from './builtin-config.js';
export type { TapPooling };

export interface TapRequest {
  layer: string;
  pooling: TapPooling;
}

export interface ConvertOptions {
  graphName: string;
  inputName: string;
  taps: readonly TapRequest[];
  /** Run the network at this input size instead of the Keras model's own (every layer on the path is size-agnostic). */
  inputSize?: { height: number; width: number };
  /**
   * Layers whose channel-summed activation map (batch × 1 × H × W, `<layer>_energy`) is also an output: where in the
   * image the network fires, for localising the object (SCDA), from the same pass as the taps.
   */
  energy?: readonly string[];
}

export interface ConvertedEnergy {
  layer: string;
  output: string;
  height: number;
  width: number;
}

export interface ConvertedTap {
  layer: string;
  /** The ONNX output name. */
  output: string;
  channels: number;
  /** The tap's spatial size before pooling. */
  height: number;
  width: number;
  /** Output shape after the batch dimension: [C] when pooled, [C, H, W] otherwise. */
  shape: number[];
}

export interface ConvertResult {
  graph: OnnxGraph;
  input: { name: string; height: number; width: number; channels: number };
  taps: ConvertedTap[];
  energy: ConvertedEnergy[];
}

/** An NCHW tensor of the graph with its static per-image shape. */
interface Value {
  name: string;
  c: number;
  h: number;
  w: number;
  /** ZeroPadding2D waiting to be folded into the consuming convolution (ONNX order). */
  pendingPads?: [number, number, number, number];
}

const pair = z.union([z.number().int().positive(), z.tuple([z.number().int().positive(), z.number().int().positive()])]);
const toPair = (v: z.infer<typeof pair>): [number, number] => (typeof v === 'number' ? [v, v] : v);
const channelsLast = z.literal('channels_last').optional();

const convSchema = z.object({
  kernel_size: pair,
  strides: pair,
  padding: z.enum(['same', 'valid']),
  dilation_rate: pair.optional(),
  activation: z.string(),
  use_bias: z.boolean(),
  data_format: channelsLast,
});
const conv2dSchema = convSchema.extend({ filters: z.number().int().positive() });
const depthwiseSchema = convSchema.extend({ depth_multiplier: z.number().int().positive() });
const bnSchema = z.object({
  axis: z.union([z.literal(3), z.literal(-1), z.tuple([z.union([z.literal(3), z.literal(-1)])])]),
  epsilon: z.number().positive(),
  center: z.boolean(),
  scale: z.boolean(),
});
const poolSchema = z.object({
  pool_size: pair,
  strides: pair.nullable().optional(),
  padding: z.enum(['same', 'valid']),
  data_format: channelsLast,
});
const reluSchema = z.object({
  max_value: z.number().nullable().optional(),
  negative_slope: z.number().optional(),
  threshold: z.number().optional(),
});

function parseConfig<T>(schema: z.ZodType<T>, layer: KerasLayer): T {
  const parsed = schema.safeParse(layer.config);
  if (!parsed.success) throw new Error(`layer ${layer.name} (${layer.className}): unsupported config: ${parsed.error.message}`);
  return parsed.data;
}

function weight(weights: ReadonlyMap<string, Weight>, name: string, shape: readonly number[]): Float32Array {
  const w = weights.get(name);
  if (w === undefined) throw new Error(`missing weight ${name}`);
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`weight ${name} has shape ${JSON.stringify(w.shape)}, expected ${JSON.stringify(shape)}`);
  }
  return w.values;
}

/** Per-channel affine form of an inference BatchNormalization: y = x × scale + shift. */
function batchNormAffine(layer: KerasLayer, weights: ReadonlyMap<string, Weight>, channels: number): { scale: Float64Array; shift: Float64Array } {
  const cfg = parseConfig(bnSchema, layer);
  const mean = weight(weights, `${layer.name}/moving_mean`, [channels]);
  const variance = weight(weights, `${layer.name}/moving_variance`, [channels]);
  const gamma = cfg.scale ? weight(weights, `${layer.name}/gamma`, [channels]) : undefined;
  const beta = cfg.center ? weight(weights, `${layer.name}/beta`, [channels]) : undefined;
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = (gamma?.[c] ?? 1) / Math.sqrt((variance[c] ?? 0) + cfg.epsilon);
    scale[c] = s;
    shift[c] = (beta?.[c] ?? 0) - (mean[c] ?? 0) * s;
  }
  return { scale, shift };
}

function channelAxis(kerasAxis: number): number {
  // Keras axes count the batch: 1 = H, 2 = W, 3 (or -1) = C. NCHW puts C at 1.
  const map: Record<number, number> = { 1: 2, 2: 3, 3: 1, [-1]: 1, [-2]: 3, [-3]: 2 };
  const axis = map[kerasAxis];
  if (axis === undefined) throw new Error(`unsupported concat axis ${kerasAxis}`);
  return axis;
}

class Converter {
  private readonly g: GraphBuilder;
  private readonly values = new Map<string, Value>();
  private readonly consumers = new Map<string, KerasLayer[]>();
  /** BatchNormalization layers already folded into their convolution. */
  private readonly folded = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly tapLayers: Set<string>;

  constructor(
    private readonly model: KerasModel,
    private readonly weights: ReadonlyMap<string, Weight>,
    private readonly options: ConvertOptions,
  ) {
    this.g = new GraphBuilder(options.graphName);
    this.tapLayers = new Set([...options.taps.map((t) => t.layer), ...(options.energy ?? [])]);
  }

  run(): ConvertResult {
    const layers = requiredLayers(this.model, [...this.tapLayers]);
    for (const layer of layers) {
      for (const input of layer.inputs) this.consumers.set(input, [...(this.consumers.get(input) ?? []), layer]);
    }
    for (const layer of layers) {
      if (!this.folded.has(layer.name)) this.values.set(layer.name, this.convert(layer));
    }
    const inputValue = this.get(this.model.inputLayer);
    const taps = this.options.taps.map((tap) => this.tap(tap));
    // After every tap's nodes, so that a graph with energy outputs computes the taps exactly as one without.
    const energy = (this.options.energy ?? []).map((layer) => this.energyOf(layer));
    return {
      graph: this.g.build(),
      input: { name: this.options.inputName, height: inputValue.h, width: inputValue.w, channels: inputValue.c },
      taps,
      energy,
    };
  }

  private get(layerName: string): Value {
    const v = this.values.get(layerName);
    if (v === undefined) throw new Error(`layer ${layerName} has not been converted`);
    return v;
  }

  /** The input value, with any pending zero padding materialised (only convolutions can absorb it). */
  private materialised(layerName: string): Value {
    const v = this.get(layerName);
    if (v.pendingPads === undefined) return v;
    const [t, l, b, r] = v.pendingPads;
    const pads = this.g.int64Const(`${v.name}_pads`, [0, 0, t, l, 0, 0, b, r]);
    const name = this.g.node('Pad', `${v.name}_pad`, [v.name, pads], `${v.name}_padded`, [{ name: 'mode', type: 'string', value: 'constant' }]);
    return { name, c: v.c, h: v.h + t + b, w: v.w + l + r };
  }

  private single(layer: KerasLayer): string {
    const [input] = layer.inputs;
    if (input === undefined || layer.inputs.length !== 1) throw new Error(`layer ${layer.name} expects one input, has ${layer.inputs.length}`);
    return input;
  }

  private scalar(value: number): string {
    const key = String(value);
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.g.floatConst(`const_${this.constants.size}`, [], [value]);
      this.constants.set(key, name);
    }
    return name;
  }

  private convert(layer: KerasLayer): Value {
    switch (layer.className) {
      case 'InputLayer':
        return this.inputLayer(layer);
      case 'Conv2D':
      case 'DepthwiseConv2D':
        return this.conv(layer);
      case 'BatchNormalization':
        return this.batchNorm(layer);
      case 'Activation':
        return this.activation(layer);
      case 'ReLU':
        return this.relu(layer);
      case 'ZeroPadding2D':
        return this.zeroPadding(layer);
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        return this.pool(layer);
      case 'Concatenate':
        return this.concat(layer);
      case 'Add':
        return this.add(layer);
      default:
        throw new Error(`unsupported layer class ${layer.className} (layer ${layer.name}) on the path to the taps`);
    }
  }

  private inputLayer(layer: KerasLayer): Value {
    const shape = z.tuple([z.null(), z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]).safeParse(layer.config['batch_input_shape']);
    if (!shape.success) throw new Error(`input ${layer.name}: need a fixed [null, H, W, C] batch_input_shape`);
    const [, kh, kw, c] = shape.data;
    const h = this.options.inputSize?.height ?? kh;
    const w = this.options.inputSize?.width ?? kw;
    this.g.input(this.options.inputName, 'float32', ['batch', c, h, w]);
    return { name: this.options.inputName, c, h, w };
  }

  private conv(layer: KerasLayer): Value {
    const depthwise = layer.className === 'DepthwiseConv2D';
    const cfg = depthwise ? parseConfig(depthwiseSchema, layer) : parseConfig(conv2dSchema, layer);
    const x = this.get(this.single(layer));
    const [kh, kw] = toPair(cfg.kernel_size);
    const strides = toPair(cfg.strides);
    const dilations = toPair(cfg.dilation_rate ?? 1);
    const multiplier = 'depth_multiplier' in cfg ? cfg.depth_multiplier : 1;
    const outC = 'filters' in cfg ? cfg.filters : x.c * multiplier;
    const group = depthwise ? x.c : 1;
    const inPerGroup = x.c / group;

    // Keras kernels are HWIO (HW·C·M for depthwise); ONNX wants O·I/group·H·W, with depthwise output o = c·M + m.
    const kernel = weight(this.weights, `${layer.name}/${depthwise ? 'depthwise_kernel' : 'kernel'}`, depthwise ? [kh, kw, x.c, multiplier] : [kh, kw, x.c, outC]);
    const bias = cfg.use_bias ? weight(this.weights, `${layer.name}/bias`, [outC]) : undefined;
    const w = new Float64Array(outC * inPerGroup * kh * kw);
    const b = new Float64Array(outC);
    for (let o = 0; o < outC; o++) {
      b[o] = bias?.[o] ?? 0;
      for (let i = 0; i < inPerGroup; i++) {
        for (let y = 0; y < kh; y++) {
          for (let xx = 0; xx < kw; xx++) {
            const src = depthwise
              ? ((y * kw + xx) * x.c + Math.floor(o / multiplier)) * multiplier + (o % multiplier)
              : ((y * kw + xx) * x.c + i) * outC + o;
            w[((o * inPerGroup + i) * kh + y) * kw + xx] = kernel[src] ?? Number.NaN;
          }
        }
      }
    }

    // Fold the BatchNormalization that is this convolution's only consumer (conv must be linear, not a tap).
    let outName = layer.name;
    const next = this.consumers.get(layer.name);
    const bn = next?.length === 1 && next[0]?.className === 'BatchNormalization' ? next[0] : undefined;
    if (bn !== undefined && cfg.activation === 'linear' && !this.tapLayers.has(layer.name)) {
      const { scale, shift } = batchNormAffine(bn, this.weights, outC);
      const per = inPerGroup * kh * kw;
      for (let o = 0; o < outC; o++) {
        const s = scale[o] ?? 1;
        for (let k = 0; k < per; k++) w[o * per + k] = (w[o * per + k] ?? 0) * s;
        b[o] = (b[o] ?? 0) * s + (shift[o] ?? 0);
      }
      this.folded.add(bn.name);
      outName = bn.name;
    }

    const { pads, outHeight, outWidth } = pads2d(x.h, x.w, { kernel: [kh, kw], strides, dilations }, cfg.padding, x.pendingPads);
    const wName = this.g.initializer(`${layer.name}/W`, 'float32', [outC, inPerGroup, kh, kw], Float32Array.from(w));
    const bName = this.g.initializer(`${layer.name}/B`, 'float32', [outC], Float32Array.from(b));
    const convOut = cfg.activation === 'linear' ? outName : `${outName}_linear`;
    this.g.node('Conv', layer.name, [x.name, wName, bName], convOut, [
      ints('kernel_shape', [kh, kw]),
      ints('strides', strides),
      ints('dilations', dilations),
      ints('pads', pads),
      int('group', group),
    ]);
    if (cfg.activation === 'relu') this.g.node('Relu', `${layer.name}_relu`, [convOut], outName);
    else if (cfg.activation !== 'linear') throw new Error(`layer ${layer.name}: unsupported activation ${cfg.activation}`);
    const value = { name: outName, c: outC, h: outHeight, w: outWidth };
    if (outName !== layer.name) this.values.set(outName, value);
    return value;
  }

  private batchNorm(layer: KerasLayer): Value {
    const x = this.materialised(this.single(layer));
    const { scale, shift } = batchNormAffine(layer, this.weights, x.c);
    const s = this.g.floatConst(`${layer.name}/scale`, [x.c, 1, 1], Float32Array.from(scale));
    const t = this.g.floatConst(`${layer.name}/shift`, [x.c, 1, 1], Float32Array.from(shift));
    const scaled = this.g.node('Mul', `${layer.name}_mul`, [x.name, s], `${layer.name}_scaled`);
    return { ...x, name: this.g.node('Add', `${layer.name}_add`, [scaled, t], layer.name) };
  }

  private activation(layer: KerasLayer): Value {
    const x = this.materialised(this.single(layer));
    const fn = layer.config['activation'];
    if (fn === 'linear') return x;
    if (fn === 'relu') return { ...x, name: this.g.node('Relu', layer.name, [x.name], layer.name) };
    throw new Error(`layer ${layer.name}: unsupported activation ${String(fn)}`);
  }

  private relu(layer: KerasLayer): Value {
    const cfg = parseConfig(reluSchema, layer);
    if ((cfg.negative_slope ?? 0) !== 0 || (cfg.threshold ?? 0) !== 0) throw new Error(`layer ${layer.name}: leaky/thresholded ReLU is not supported`);
    const x = this.materialised(this.single(layer));
    if (cfg.max_value === null || cfg.max_value === undefined) return { ...x, name: this.g.node('Relu', layer.name, [x.name], layer.name) };
    return { ...x, name: this.g.node('Clip', layer.name, [x.name, this.scalar(0), this.scalar(cfg.max_value)], layer.name) };
  }

  private zeroPadding(layer: KerasLayer): Value {
    const pads = zeroPadding2d(layer.config['padding']);
    const x = this.materialised(this.single(layer));
    const next = this.consumers.get(layer.name) ?? [];
    const foldable = next.length === 1 && (next[0]?.className === 'Conv2D' || next[0]?.className === 'DepthwiseConv2D') && !this.tapLayers.has(layer.name);
    if (foldable) return { ...x, pendingPads: pads };
    const padsName = this.g.int64Const(`${layer.name}/pads`, [0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]]);
    const name = this.g.node('Pad', layer.name, [x.name, padsName], layer.name, [{ name: 'mode', type: 'string', value: 'constant' }]);
    return { name, c: x.c, h: x.h + pads[0] + pads[2], w: x.w + pads[1] + pads[3] };
  }

  private pool(layer: KerasLayer): Value {
    const cfg = parseConfig(poolSchema, layer);
    const x = this.materialised(this.single(layer));
    const kernel = toPair(cfg.pool_size);
    const strides = toPair(cfg.strides ?? cfg.pool_size);
    const { pads, outHeight, outWidth } = pads2d(x.h, x.w, { kernel, strides, dilations: [1, 1] }, cfg.padding);
    const attrs = [ints('kernel_shape', kernel), ints('strides', strides), ints('pads', pads)];
    // TF averages over the valid pixels only: count_include_pad = 0 (with 1, mixed10 drifts to cosine 0.90).
    const name =
      layer.className === 'MaxPooling2D'
        ? this.g.node('MaxPool', layer.name, [x.name], layer.name, attrs)
        : this.g.node('AveragePool', layer.name, [x.name], layer.name, [...attrs, int('count_include_pad', 0)]);
    return { name, c: x.c, h: outHeight, w: outWidth };
  }

  private concat(layer: KerasLayer): Value {
    const inputs = layer.inputs.map((name) => this.materialised(name));
    const axis = channelAxis(typeof layer.config['axis'] === 'number' ? layer.config['axis'] : -1);
    const [first] = inputs;
    if (first === undefined) throw new Error(`layer ${layer.name} concatenates nothing`);
    if (axis !== 1) throw new Error(`layer ${layer.name}: only channel concatenation is supported`);
    for (const v of inputs) {
      if (v.h !== first.h || v.w !== first.w) throw new Error(`layer ${layer.name}: spatial sizes differ (${v.name} ${v.h}×${v.w} vs ${first.h}×${first.w})`);
    }
    const name = this.g.node('Concat', layer.name, inputs.map((v) => v.name), layer.name, [int('axis', 1)]);
    return { name, c: inputs.reduce((sum, v) => sum + v.c, 0), h: first.h, w: first.w };
  }

  private add(layer: KerasLayer): Value {
    const inputs = layer.inputs.map((name) => this.materialised(name));
    const [first, ...rest] = inputs;
    if (first === undefined || rest.length === 0) throw new Error(`layer ${layer.name} adds fewer than two tensors`);
    let acc = first.name;
    rest.forEach((v, i) => {
      if (v.c !== first.c || v.h !== first.h || v.w !== first.w) throw new Error(`layer ${layer.name}: shapes differ`);
      acc = this.g.node('Add', i === rest.length - 1 ? layer.name : `${layer.name}_${i}`, [acc, v.name], i === rest.length - 1 ? layer.name : `${layer.name}_${i}`);
    });
    return { ...first, name: acc };
  }

  private energyOf(layer: string): ConvertedEnergy {
    const x = this.materialised(layer);
    const output = `${layer}_energy`;
    const axes = this.g.int64Const(`${output}_axes`, [1]);
    this.g.node('ReduceSum', output, [x.name, axes], output, [int('keepdims', 1)]);
    this.g.output(output, 'float32', ['batch', 1, x.h, x.w]);
    return { layer, output, height: x.h, width: x.w };
  }

  private tap(tap: TapRequest): ConvertedTap {
    const x = this.materialised(tap.layer);
    if (tap.pooling.kind === 'none') {
      const output = `${tap.layer}_map`;
      this.g.node('Identity', output, [x.name], output);
      this.g.output(output, 'float32', ['batch', x.c, x.h, x.w]);
      return { layer: tap.layer, output, channels: x.c, height: x.h, width: x.w, shape: [x.c, x.h, x.w] };
    }
    // GeM: (mean over H, W of max(x, eps)^p)^(1/p). The clamp keeps the base positive (taps are ReLU maps,
    // so it only lifts exact zeros) and an all-zero channel finite and non-zero.
    const { p, eps, center } = tap.pooling;
    const base = `${tap.layer}_gem`;
    const clamped = this.g.node('Clip', `${base}_clamp`, [x.name, this.scalar(eps)], `${base}_clamped`);
    const powered = this.g.node('Pow', `${base}_pow`, [clamped, this.scalar(p)], `${base}_pow`);
    let mean: string;
    if (center === undefined) {
      mean = this.g.node('ReduceMean', `${base}_mean`, [powered], `${base}_mean`, [ints('axes', [2, 3]), int('keepdims', 0)]);
    } else {
      const weights = this.g.floatConst(`${base}_prior`, [1, 1, x.h, x.w], centrePrior(x.h, x.w, center));
      const weighted = this.g.node('Mul', `${base}_weigh`, [powered, weights], `${base}_weighted`);
      const axes = this.g.int64Const(`${base}_axes`, [2, 3]);
      mean = this.g.node('ReduceSum', `${base}_mean`, [weighted, axes], `${base}_mean`, [int('keepdims', 0)]);
    }
    const output = this.g.node('Pow', `${base}_root`, [mean, this.scalar(1 / p)], `gem_${tap.layer}`);
    this.g.output(output, 'float32', ['batch', x.c]);
    return { layer: tap.layer, output, channels: x.c, height: x.h, width: x.w, shape: [x.c] };
  }
}

/**
 * exp(x) for x ≤ 0 as (1 + x/2^12)^(2^12): only + × ÷, each correctly rounded, so the prior's bytes are the same on
 * every machine (Math.exp is not specified to the last bit). Relative error below 1e-3 for the |x| ≤ 8 used here.
 */
function portableExp(x: number): number {
  let y = 1 + x / 4096;
  for (let i = 0; i < 12; i++) y *= y;
  return y;
}

/**
 * A separable Gaussian over an h × w map, σ = `sigma` × side, centred, summing to 1 (so the weighted sum is a
 * weighted mean). Cells are sampled at their centres.
 */
export function centrePrior(h: number, w: number, sigma: number): Float32Array {
  const axis = (n: number) => Array.from({ length: n }, (_, i) => {
    const t = (i + 0.5) / n - 0.5;
    return portableExp(-(t * t) / (2 * sigma * sigma));
  });
  const gy = axis(h);
  const gx = axis(w);
  const out = new Float64Array(h * w);
  let sum = 0;
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) sum += out[i * w + j] = gy[i]! * gx[j]!;
  return Float32Array.from(out, (v) => v / sum);
}

/**
 * Builds the ONNX graph computing `options.taps` of a Keras model.
 * @throws Error naming the layer when the path to a tap uses an unsupported layer, config or weight shape.
 */
export function convertKerasToOnnx(model: KerasModel, weights: ReadonlyMap<string, Weight>, options: ConvertOptions): ConvertResult {
  if (options.taps.length === 0) throw new Error('no taps requested');
  return new Converter(model, weights, options).run();
}
