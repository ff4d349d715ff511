/**
 * The built-in models' build configuration, read from their committed manifests (`models/<id>/model.json`).
 * The manifest is the source: identity, input spec, taps, pooling, weights, fusion and test-time views are
 * written there by hand; the fields the conversion determines (output names and sizes, dim, sha256, bytes,
 * source version and notes) are checked by the build against what it produces (build-models.ts).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResizeMode } from '../../src/core/models/embedder.js';
import { MANIFEST_FILE, readManifest, type ModelManifest } from '../../src/core/models/manifest.js';
import { builtinModelsDir } from '../../src/core/models/package-root.js';

/** How a tapped layer's map is pooled into a vector (generalised mean, optionally centre-weighted), or not. */
export type TapPooling = { kind: 'gem'; p: number; eps: number; center?: number } | { kind: 'none' };

export interface TapConfig {
  layer: string;
  pooling: TapPooling;
  /** Weight after per-tap L2 normalisation, before concatenation. */
  weight: number;
}

export const SOURCE_MODELS = ['inception_v3', 'mobilenet_v2'] as const;

export interface BuiltinModelConfig {
  id: string;
  version: string;
  name: string;
  description: string;
  /** Folder under nsfwjs's dist/models (the manifest's `source.name` is `nsfwjs/<it>`). */
  sourceModel: (typeof SOURCE_MODELS)[number];
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
   * A layer whose channel-summed activation map the model also outputs (the manifest's `saliency.tap`): where the
   * object is, for localising it (SCDA), from the same pass. Changes no vector, so not the catalog identity either.
   */
  saliency?: { layer: string };
}

/**
 * The converter's configuration for a committed manifest.
 * @throws Error naming the field when the manifest asks for something the converter cannot build.
 */
export function builtinConfig(manifest: ModelManifest, where: string): BuiltinModelConfig {
  const fail = (field: string, why: string): never => {
    throw new Error(`${where}: ${field}: ${why}`);
  };
  const sourceModel = SOURCE_MODELS.find((m) => manifest.source.name === `nsfwjs/${m}`) ?? fail('source.name', `must be one of ${SOURCE_MODELS.map((m) => `nsfwjs/${m}`).join(', ')}, not '${manifest.source.name}'`);
  if (manifest.input.width !== manifest.input.height) fail('input', `the converter builds square inputs, not ${manifest.input.width}×${manifest.input.height}`);
  const taps = manifest.outputs.map((o, i): TapConfig => {
    const layer = o.tap ?? fail(`outputs.${i}.tap`, 'a built-in output names the layer it taps');
    if (o.pooling.kind !== 'gem' && o.pooling.kind !== 'none') return fail(`outputs.${i}.pooling.kind`, `the converter pools with 'gem' or 'none', not '${o.pooling.kind}'`);
    return { layer, pooling: o.pooling, weight: o.weight };
  });
  return {
    id: manifest.id,
    version: manifest.version,
    name: manifest.name,
    description: manifest.description ?? fail('description', 'a built-in model describes itself (it goes into the ONNX file too)'),
    sourceModel,
    resize: manifest.input.resize,
    inputSize: manifest.input.width,
    ...(manifest.tta === undefined ? {} : { tta: manifest.tta }),
    ...(manifest.fusion.power === undefined ? {} : { power: manifest.fusion.power }),
    scaling: manifest.input.scaling,
    taps,
    ...(manifest.saliency === undefined ? {} : { saliency: { layer: manifest.saliency.tap ?? fail('saliency.tap', 'a built-in saliency output names the layer it sums') } }),
  };
}

export interface BuiltinSource {
  config: BuiltinModelConfig;
  /** The committed manifest as parsed. */
  manifest: ModelManifest;
  /** Its path. */
  path: string;
}

/** Ids of the committed built-in models: the folders of `dir` holding a model.json, sorted. */
export async function builtinIds(dir: string = builtinModelsDir()): Promise<string[]> {
  const ids: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    if ((await readdir(join(dir, e.name))).includes(MANIFEST_FILE)) ids.push(e.name);
  }
  return ids.sort();
}

/**
 * Reads one built-in model's committed manifest and its build configuration.
 * @throws AppError MODEL_MISSING / MODEL_INVALID for a missing or invalid manifest, Error for one the converter cannot build.
 */
export async function readBuiltin(id: string, dir: string = builtinModelsDir()): Promise<BuiltinSource> {
  const path = join(dir, id, MANIFEST_FILE);
  const manifest = await readManifest(path);
  if (manifest.id !== id) throw new Error(`${path}: id '${manifest.id}' differs from its folder name`);
  return { config: builtinConfig(manifest, path), manifest, path };
}
