/**
 * The built-in models, as data: which nsfwjs network, which layers to tap, how to pool and weight them, and how
 * to feed the network. Changing a tap or weight here is all it takes to rebuild a different model (bump
 * `version` too, so that catalogs re-embed under a new identity).
 */
import type { ResizeMode } from './embedder.js';

/** How a tapped layer's map is pooled into a vector (generalised mean, optionally centre-weighted), or not. */
export type TapPooling = { kind: 'gem'; p: number; eps: number; center?: number } | { kind: 'none' };

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
  tta?: { flip?: boolean; zoomOut?: number };
  /** Signed power normalisation of the final vector (the manifest's `fusion.power`). */
  power?: number;
  /** value = (pixel × scale − mean) / std. */
  scaling: { scale: number; mean: [number, number, number]; std: [number, number, number] };
  taps: TapConfig[];
  /**
   * A layer whose channel-summed activation map the model also outputs (the manifest's `saliency`): where the object
   * is, for localising it (SCDA), from the same pass. Changes no vector, so not the catalog identity either.
   */
  saliency?: { layer: string };
}

/**
 * GeM with p = 3 (between average, p = 1, and max pooling; p = 2 / 4 / 6 measured 0.490 / 0.488 / 0.482 mAP@10
 * against 0.492 for p = 3), weighted by a Gaussian centre prior (σ = 0.3 of the map's side): products are
 * photographed centred, the edges are background. clothes-train, accurate taps, PCA-whitened: +0.012–0.018 mAP@10
 * over plain GeM (σ 0.15: +0.00, 0.2: +0.015, 0.25: +0.018, 0.3: +0.017, 0.5: +0.009).
 */
const CENTRED_GEM: TapPooling = { kind: 'gem', p: 3, eps: 1e-6, center: 0.3 };

/** MobileNetV2's maps (12 × 12 at 192) are found more robustly under crops with a tighter prior. */
const FAST_GEM: TapPooling = { kind: 'gem', p: 3, eps: 1e-6, center: 0.2 };

/** The fine-tune behind these weights fed x / 255; that beats Keras' x / 127.5 − 1 by 0.05–0.07 mAP@10. */
const UNIT_SCALE = { scale: 1 / 255, mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };

/*
 * Measured on clothes-train (3,068 photos, 10 classes; leave-one-out, relevance = same class; PCA-whitened to 512
 * dims with λ^−0.25 as the app does once a folder has 1,000 photos), mAP@10 / P@1 (up to 2.0.0 without the search's
 * query expansion):
 *
 * accurate, InceptionV3, GeM mixed5+6+8 (the 1.0.0 model) → this one:
 *   299 centre-crop                                   0.492 / 0.705
 *   299 squash                                        0.470 / 0.691
 *   + centre prior σ 0.25                             0.510 / 0.710
 *   + flip TTA                                        0.518 / 0.716
 *   input 224 / 192 / 160 / 128 (prior, no TTA)       0.513 / 0.515 / 0.510 / 0.492: smaller inputs see the whole
 *                                                     garment at the scale the mid-level layers were trained on
 *   192, taps 4+6+8, mixed8 weight 0.7, no TTA        0.530 / 0.732
 *   + flip TTA                                        0.538 / 0.738, but centre-crop-75% copies found first only 96.0%
 *   + zoom-out TTA (0.75) instead                     0.534 / 0.738, crop copies 98.3%   ← chosen (2 × 192² ≈ 0.82×
 *                                                     the inference of one 299 pass)
 *   with the search's query expansion                 0.557 / 0.738
 *   multi-scale 224+299 with flip (3.1× the cost)     0.532 / 0.732: not worth it
 *
 * 2.0.0 → 2.1.0, with query expansion (first hit pinned) as the app searches, replayed exactly (no ANN) on vectors of
 * each view dumped through the embedder; near-duplicate Recall@1 of the centre-crop-75% / watermarked copies among
 * all photos (the other alterations stay ≥ 0.99). `lookalike eval` of 2.1.0 itself: 0.571 / 0.753, R@5 0.932,
 * crop 98.0% (one copy lost to the ANN), watermark 99.7%; indexing at 0.69× the speed of 2.0.0 (3 views, not 2):
 *   2.0.0: plain + zoom-out 0.75                      0.555 / 0.733, crop 98.7%, watermark 98.7%
 *   + signed √ of the final vector (fusion.power)     0.558 / 0.736, 98.0% / 99.3%: damps bursty channels
 *   plain + flip + zoom-out 0.75 (3 views)            0.561 / 0.743, 97.3% / 98.3%
 *     + √                                             0.568 / 0.749, 97.7% / 99.3%
 *     + √, mixed8 weight 0.5                          0.571 / 0.753, 98.0% / 99.7%
 *   plain + flip + zoom-out 0.8, √, mixed8 0.4        0.570 / 0.753, 98.3% / 99.7%  ← chosen (3 × 192² ≈ 1.2× the
 *                                                     inference of one 299 pass; mixed8 0.5 / 0.6: 0.752 / 0.748)
 *   plain + flip + zoom-out 0.85, √                   0.575 / 0.756, but crop copies 97.3%
 *   zoom 0.6 / 0.85 instead of 0.75 (2 views)         P@1 0.724 / 0.737, watermark copies 94.7% / 97.7%
 *   plain + zoom-out 0.75 + zoom-in 0.85, √           0.556 / 0.736, crop 99.0%
 *   √ of each view before averaging (3 views)         0.568 / 0.746: after is better
 *   power 0.4 / 0.6 / 0.7 instead of 0.5 (3 views)    P@1 0.746 / 0.747 / 0.745
 */
export const BUILTIN_MODELS: readonly BuiltinModelConfig[] = [
  {
    id: 'accurate',
    version: '2.1.0',
    name: 'Accurate (InceptionV3 mid-level features)',
    description:
      'InceptionV3 at 192×192, mixed4, mixed6 and mixed8 maps GeM-pooled with a centre prior, each L2-normalised, concatenated; ' +
      'averaged with the same for the mirrored image and a zoomed-out view, then power-normalised (signed square root).',
    sourceModel: 'inception_v3',
    resize: 'center-crop',
    inputSize: 192,
    tta: { flip: true, zoomOut: 0.8 },
    power: 0.5,
    scaling: UNIT_SCALE,
    taps: [
      { layer: 'mixed4', pooling: CENTRED_GEM, weight: 1 },
      { layer: 'mixed6', pooling: CENTRED_GEM, weight: 1 },
      // mixed8 lies inside the part fine-tuned for the NSFW task: it helps, at a lower weight.
      { layer: 'mixed8', pooling: CENTRED_GEM, weight: 0.4 },
    ],
    // The tap SCDA localised best on (docs/research/same-product.md): 10 × 10 at 192.
    saliency: { layer: 'mixed6' },
  },
  {
    id: 'fast',
    version: '2.0.0',
    name: 'Fast (MobileNetV2 mid-level features)',
    description: 'MobileNetV2 at 192×192, block_11 and block_12 expand maps GeM-pooled with a centre prior, concatenated.',
    sourceModel: 'mobilenet_v2',
    // All 3,068 clothes-train photos, leave-one-out, PCA-whitened to 512 (mAP@10 / P@1; centre-crop-75% and
    // watermarked copies found first among all photos):
    //   224 block_12 plain GeM                   0.477 / 0.689               (the 1.0.0 model; squash 0.464 / 0.676)
    //   192 block_12, prior σ 0.3                0.496 / 0.690, 95.3% / 100%
    //   192 block_12, prior σ 0.3, zoom-out TTA  0.527 / 0.713, 97.7% / 99.3%, but half the speed (~100 images/s)
    //   192 block_11, prior σ 0.2                0.483 / 0.674, 99.0% / 97.7% (the app's end-to-end eval)
    //   192 block_11 + ½ block_12, prior σ 0.2   0.494 / 0.685, 98.7% / 99.3%  ← chosen: no extra inference
    resize: 'center-crop',
    inputSize: 192,
    scaling: UNIT_SCALE,
    taps: [
      { layer: 'block_11_expand_relu', pooling: FAST_GEM, weight: 1 },
      { layer: 'block_12_expand_relu', pooling: FAST_GEM, weight: 0.5 },
    ],
  },
];
