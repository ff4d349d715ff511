/**
 * Reads a tfjs layers model as nsfwjs ships it: `model.min.js` (a UMD bundle exporting
 * `{ modelTopology, weightsManifest }`) and `group1-shardNofM.min.js` (UMD bundles exporting one base64 string).
 * The bundles are evaluated in an empty `vm` context (no require, process or globals of ours), which is all a
 * UMD wrapper needs to hand over its export; the results are then copied out through JSON.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';

const quantizationSchema = z.object({
  dtype: z.enum(['uint8', 'uint16']),
  scale: z.number(),
  min: z.number(),
});

const weightSpecSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.literal('float32'),
  quantization: quantizationSchema.optional(),
});

const artifactsSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()).min(1), weights: z.array(weightSpecSchema) })).min(1),
});

export type WeightSpec = z.infer<typeof weightSpecSchema>;

export interface SourceFile {
  name: string;
  sha256: string;
}

export interface TfjsArtifacts {
  /** The Keras model JSON (`keras_version`, `model_config`, ...), as tfjs.io.ModelArtifacts expects it. */
  modelTopology: Record<string, unknown>;
  /** Every weight in binary order (all groups, concatenated). */
  weightSpecs: WeightSpec[];
  /** The shards' bytes concatenated in manifest order. */
  weightData: Uint8Array;
  /** The files read, with their sha256: the converter's cache key. */
  files: SourceFile[];
}

function evaluateUmd(source: string, file: string): unknown {
  const module = { exports: {} as unknown };
  runInNewContext(source, { module, exports: module.exports }, { filename: file, timeout: 10_000 });
  // Copy out of the foreign realm so that prototypes and Array.isArray behave as usual.
  return JSON.parse(JSON.stringify(module.exports)) as unknown;
}

const sha256 = (bytes: string | Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function byteSize(spec: WeightSpec): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const bytesPer = spec.quantization === undefined ? 4 : spec.quantization.dtype === 'uint8' ? 1 : 2;
  return count * bytesPer;
}

const MODEL_FILE = 'model.min.js';

async function readModelFile(dir: string): Promise<{ source: string; artifacts: z.infer<typeof artifactsSchema> }> {
  const source = await readFile(join(dir, MODEL_FILE), 'utf8');
  const parsed = artifactsSchema.safeParse(evaluateUmd(source, MODEL_FILE));
  if (!parsed.success) throw new Error(`${join(dir, MODEL_FILE)}: not a tfjs layers model (${parsed.error.message})`);
  return { source, artifacts: parsed.data };
}

const shardFiles = (artifacts: z.infer<typeof artifactsSchema>): string[] => artifacts.weightsManifest.flatMap((g) => g.paths.map((p) => `${p}.min.js`));

/**
 * The sha256 of every source file without decoding the shards: enough to decide whether a build is current.
 * @throws Error when a file is missing or model.min.js is not a tfjs model.
 */
export async function hashTfjsSources(dir: string): Promise<SourceFile[]> {
  const { source, artifacts } = await readModelFile(dir);
  const files: SourceFile[] = [{ name: MODEL_FILE, sha256: sha256(source) }];
  for (const file of shardFiles(artifacts)) files.push({ name: file, sha256: sha256(await readFile(join(dir, file))) });
  return files;
}

/**
 * Loads `model.min.js` and its shards from `dir`.
 * @throws Error when a file is missing or does not have the expected shape.
 */
export async function readTfjsArtifacts(dir: string): Promise<TfjsArtifacts> {
  const { source: modelSource, artifacts } = await readModelFile(dir);
  const files: SourceFile[] = [{ name: MODEL_FILE, sha256: sha256(modelSource) }];
  const weightSpecs = artifacts.weightsManifest.flatMap((g) => g.weights);
  const shards: Uint8Array[] = [];
  for (const file of shardFiles(artifacts)) {
    const bytes = await readFile(join(dir, file));
    const base64 = evaluateUmd(bytes.toString('utf8'), file);
    if (typeof base64 !== 'string') throw new Error(`${join(dir, file)}: expected a base64 string export`);
    shards.push(Buffer.from(base64, 'base64'));
    files.push({ name: file, sha256: sha256(bytes) });
  }
  const weightData = Buffer.concat(shards);
  const expected = weightSpecs.reduce((sum, spec) => sum + byteSize(spec), 0);
  if (weightData.length !== expected) {
    throw new Error(`${dir}: shards hold ${weightData.length} bytes, the manifest describes ${expected}`);
  }
  return { modelTopology: artifacts.modelTopology, weightSpecs, weightData: new Uint8Array(weightData), files };
}

export interface Weight {
  shape: readonly number[];
  values: Float32Array;
}

/**
 * Dequantizes every weight: value = q × scale + min, computed in float64 then rounded to float32, as tfjs does,
 * so that the converted model sees exactly the reference's weights.
 */
export function dequantizeWeights(specs: readonly WeightSpec[], data: Uint8Array): Map<string, Weight> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Map<string, Weight>();
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    const q = spec.quantization;
    if (q === undefined) {
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(offset + 4 * i, true);
    } else if (q.dtype === 'uint8') {
      for (let i = 0; i < count; i++) values[i] = view.getUint8(offset + i) * q.scale + q.min;
    } else {
      for (let i = 0; i < count; i++) values[i] = view.getUint16(offset + 2 * i, true) * q.scale + q.min;
    }
    offset += byteSize(spec);
    if (out.has(spec.name)) throw new Error(`weight ${spec.name} appears twice in the manifest`);
    out.set(spec.name, { shape: spec.shape, values });
  }
  return out;
}
