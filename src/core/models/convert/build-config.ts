/**
 * The built-in models, as data: which nsfwjs network, which layers to tap, how to pool and weight them, and how
 * to feed the network. Changing a tap or weight here is all it takes to rebuild a different model (bump
 * `version` too, so that catalogs re-embed under a new identity).
 */
import type { ResizeMode } from '../embedder.js';
import type { TapPooling } from './keras-to-onnx.js';

export interface TapConfig {
  layer: string;
  pooling: TapPooling;
  /** Weight after per-tap L2 normalisation, before concatenation. */
  weight: number;
}

export interface BuiltinModelConfig {
  id: string;
  version: string;
  name: string;
  description: string;
  /** Folder under nsfwjs's dist/models. */
  sourceModel: 'inception_v3' | 'mobilenet_v2';
  resize: ResizeMode;
  /** Square input side the network runs at (default: the Keras model's own, 299 or 224). */
  inputSize?: number;
  /** Test-time augmentation the embedder applies (see the manifest's `tta`). */
  tta?: { flip: boolean };
  /** value = (pixel × scale − mean) / std. */
  scaling: { scale: number; mean: [number, number, number]; std: [number, number, number] };
  taps: TapConfig[];
}

/** GeM with p = 3: between average (p = 1) and max pooling; the usual choice for retrieval with CNN maps. */
const GEM: TapPooling = { kind: 'gem', p: 3, eps: 1e-6 };

/** The fine-tune behind these weights fed x / 255; that beats Keras' x / 127.5 − 1 by 0.05–0.07 mAP@10. */
const UNIT_SCALE = { scale: 1 / 255, mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };

export const BUILTIN_MODELS: readonly BuiltinModelConfig[] = [
  {
    id: 'accurate',
    version: '1.0.0',
    name: 'Accurate (InceptionV3 mid-level features)',
    description: 'GeM-pooled InceptionV3 mixed5, mixed6 and mixed8 maps, each L2-normalised, concatenated.',
    sourceModel: 'inception_v3',
    // Leave-one-out on 1,000 clothes-train photos, mixed5+6+8: centre-crop mAP@10 0.335 vs squash 0.311.
    resize: 'center-crop',
    scaling: UNIT_SCALE,
    taps: [
      { layer: 'mixed5', pooling: GEM, weight: 1 },
      { layer: 'mixed6', pooling: GEM, weight: 1 },
      { layer: 'mixed8', pooling: GEM, weight: 1 },
    ],
  },
  {
    id: 'fast',
    version: '1.0.0',
    name: 'Fast (MobileNetV2 mid-level features)',
    description: 'GeM-pooled MobileNetV2 block_12_expand_relu map.',
    sourceModel: 'mobilenet_v2',
    // All 3,068 clothes-train photos, leave-one-out mAP@10: block_12 0.445 (crop) / 0.432 (squash);
    // block_13 0.401 / 0.387; block_11 0.445 (crop); block_11+12 0.454 (crop) at twice the size.
    resize: 'center-crop',
    scaling: UNIT_SCALE,
    taps: [{ layer: 'block_12_expand_relu', pooling: GEM, weight: 1 }],
  },
];
