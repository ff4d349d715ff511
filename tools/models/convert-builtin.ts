/**
 * One built-in model from its tfjs artifacts to ONNX bytes plus manifest, in memory. Pure apart from hashing,
 * so tests can convert without touching models/.
 */
import { createHash } from 'node:crypto';
import type { ModelManifest } from '../../src/core/models/manifest.js';
import { modelManifestSchema } from '../../src/core/models/manifest.js';
import type { BuiltinModelConfig } from './builtin-config.js';
import { convertKerasToOnnx, type ConvertResult } from './keras-to-onnx.js';
import { parseKerasTopology } from './keras-topology.js';
import { encodeModel, type OnnxModel } from '../../src/core/base/onnx/onnx-proto.js';
import { NSFWJS_LICENSE, NSFWJS_URL } from './nsfwjs-source.js';
import { dequantizeWeights, type TfjsArtifacts } from './tfjs-artifacts.js';

/** Bump when a change to the converter alters its output for the same config and sources. */
export const CONVERTER_VERSION = 1;
export const INPUT_NAME = 'image';
const OPSET = 17;
const IR_VERSION = 8;

export interface ConvertedModel {
  onnx: Uint8Array;
  manifest: ModelManifest;
  /** Tap shapes before pooling, for logs and tests. */
  taps: ConvertResult['taps'];
}

/**
 * The ONNX model of `config` before encoding, and the converter's result it came from.
 * @throws Error when the topology has layers the converter does not support on the path to a tap.
 */
export function builtinOnnxModel(
  config: BuiltinModelConfig,
  artifacts: TfjsArtifacts,
  nsfwjsVersion: string,
  /** Layers whose channel-summed map is also an output (the manifest's `saliency`). */
  energy: readonly string[] = config.saliency ? [config.saliency.layer] : [],
): { model: OnnxModel; result: ConvertResult; kerasVersion: string } {
  const keras = parseKerasTopology(artifacts.modelTopology);
  const weights = dequantizeWeights(artifacts.weightSpecs, artifacts.weightData);
  const result = convertKerasToOnnx(keras, weights, {
    graphName: `lookalike-${config.id}`,
    inputName: INPUT_NAME,
    taps: config.taps.map((t) => ({ layer: t.layer, pooling: t.pooling })),
    ...(config.inputSize === undefined ? {} : { inputSize: { height: config.inputSize, width: config.inputSize } }),
    ...(energy.length > 0 ? { energy } : {}),
  });
  const model: OnnxModel = {
    irVersion: IR_VERSION,
    opsetVersion: OPSET,
    producerName: 'lookalike-keras-to-onnx',
    producerVersion: String(CONVERTER_VERSION),
    docString: `${config.name}: ${config.description} Converted from nsfwjs ${nsfwjsVersion} ${config.sourceModel}.`,
    graph: result.graph,
  };
  return { model, result, kerasVersion: keras.kerasVersion };
}

/**
 * Converts `config` from the given artifacts.
 * @throws Error when the topology has layers the converter does not support on the path to a tap.
 */
export function convertBuiltin(config: BuiltinModelConfig, artifacts: TfjsArtifacts, nsfwjsVersion: string): ConvertedModel {
  const { model, result, kerasVersion } = builtinOnnxModel(config, artifacts, nsfwjsVersion);
  const onnx = encodeModel(model);
  // The same graph without the saliency output is what the vectors come from: its hash keeps the catalog identity of
  // a model that gained the map (bytes of the model file it was, before), so no catalog re-embeds for it.
  const embeddingSha256 = config.saliency
    ? createHash('sha256').update(encodeModel(builtinOnnxModel(config, artifacts, nsfwjsVersion, []).model)).digest('hex')
    : undefined;
  const [energy] = result.energy;
  const outputs = result.taps.map((tap, i) => {
    const cfg = config.taps[i];
    if (cfg === undefined) throw new Error('tap/config mismatch');
    return { name: tap.output, tap: tap.layer, pooling: cfg.pooling, dim: tap.shape.reduce((a, b) => a * b, 1), weight: cfg.weight };
  });
  const manifest = modelManifestSchema.parse({
    schemaVersion: 1,
    id: config.id,
    version: config.version,
    name: config.name,
    description: config.description,
    input: {
      name: result.input.name,
      width: result.input.width,
      height: result.input.height,
      channels: 3,
      layout: 'nchw',
      resize: config.resize,
      scaling: config.scaling,
    },
    outputs,
    fusion: { kind: 'weighted-concat', perOutputL2: true, ...(config.power === undefined ? {} : { power: config.power }) },
    ...(config.tta === undefined ? {} : { tta: config.tta }),
    ...(energy === undefined ? {} : { saliency: { name: energy.output, tap: energy.layer, height: energy.height, width: energy.width } }),
    dim: outputs.reduce((s, o) => s + o.dim, 0),
    sha256: createHash('sha256').update(onnx).digest('hex'),
    ...(embeddingSha256 === undefined ? {} : { embeddingSha256 }),
    bytes: onnx.length,
    license: NSFWJS_LICENSE,
    source: {
      name: `nsfwjs/${config.sourceModel}`,
      url: NSFWJS_URL,
      version: nsfwjsVersion,
      notes: `Keras ${kerasVersion} layers model, uint8-quantized weights dequantized to float32; BatchNorm folded; opset ${OPSET}; converter v${CONVERTER_VERSION}.`,
    },
  });
  return { onnx, manifest, taps: result.taps };
}
