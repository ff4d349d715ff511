/**
 * `model.json`: everything the engine needs to feed a model and read its vectors. Preprocessing, output
 * fusion and the catalog's model identity all come from here; no model-specific constant lives in code.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { ResizeMode } from './embedder.js';

export const MANIFEST_FILE = 'model.json';
export const MODEL_FILE = 'model.onnx';

const MODEL_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SHA256 = /^[0-9a-f]{64}$/;

const resizeModes = ['squash', 'center-crop', 'pad'] as const satisfies readonly ResizeMode[];
// Fails to compile if embedder.ts's ResizeMode gains a mode the manifest does not know.
const allResizeModes: Record<ResizeMode, true> = { squash: true, 'center-crop': true, pad: true };
void allResizeModes;

const triple = z.tuple([z.number(), z.number(), z.number()]);
const positiveTriple = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);

const poolingSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('gem'),
    p: z.number().positive(),
    eps: z.number().positive(),
    /** σ of a Gaussian centre prior weighting the mean, as a fraction of the map's side; absent: plain mean. */
    center: z.number().positive().optional(),
  }),
  z.object({ kind: z.literal('avg') }),
  z.object({ kind: z.literal('max') }),
  z.object({ kind: z.literal('none') }),
]);

const outputSchema = z.object({
  /** ONNX output name. */
  name: z.string().min(1),
  /** The network layer the output was tapped from (informational). */
  tap: z.string().min(1).optional(),
  /** What the graph already does to the tap (pooling is in-graph; the embedder never pools). */
  pooling: poolingSchema,
  /** Values per image: the product of the output's non-batch dimensions. */
  dim: z.number().int().positive(),
  /** Weight of this output after its own L2 normalisation, before the concatenation. */
  weight: z.number().positive().default(1),
});

const baseSchema = z.object({
  schemaVersion: z.literal(1),
  id: z.string().regex(MODEL_ID, 'lower-case letters, digits, ".", "_" or "-", at most 64, starting with a letter or digit'),
  version: z.string().min(1),
  name: z.string().min(1),
  description: z.string().optional(),
  input: z.object({
    name: z.string().min(1),
    width: z.number().int().min(8).max(4096),
    height: z.number().int().min(8).max(4096),
    channels: z.literal(3),
    layout: z.enum(['nchw', 'nhwc']),
    /** How the engine fits an image to width × height: squash (ignore aspect), center-crop (cover), pad (contain). */
    resize: z.enum(resizeModes),
    /** value = (pixel × scale − mean[c]) / std[c], pixel in 0…255, channels in RGB order. */
    scaling: z.object({ scale: z.number().positive(), mean: triple, std: positiveTriple }),
  }),
  outputs: z.array(outputSchema).min(1),
  /** Each output is L2-normalised (if perOutputL2), multiplied by its weight, concatenated, then L2-normalised. */
  fusion: z.object({
    kind: z.literal('weighted-concat'),
    perOutputL2: z.boolean(),
    /**
     * Power normalisation of the final vector (after the test-time views are averaged): every value becomes
     * sign(x)·|x|^power, then the vector is L2-normalised again. 0.5 (signed square root) damps the few bursty
     * channels that otherwise dominate cosine similarity; absent: none.
     */
    power: z.number().positive().max(1).optional(),
  }),
  /**
   * Test-time augmentation done by the embedder for every image, indexed or queried alike: besides the image itself,
   * its mirror (`flip`) and/or a zoomed-out view (`zoomOut`: the image shrunk to that scale, centred, its edge pixels
   * repeated to the border) are embedded, and the fused vectors of all views averaged. Each view costs one more
   * inference per image.
   */
  tta: z
    .object({
      flip: z.boolean().optional(),
      zoomOut: z.number().gt(0.25).lt(1).optional(),
    })
    .optional(),
  /**
   * A channel-summed activation map the model outputs besides the vector (output `name`, batch × 1 × height ×
   * width, never fused): where in the image the network fires, which localises the object (images/locate.ts).
   */
  saliency: z
    .object({
      name: z.string().min(1),
      tap: z.string().min(1).optional(),
      height: z.number().int().min(3).max(256),
      width: z.number().int().min(3).max(256),
    })
    .optional(),
  /** Length of the final vector. */
  dim: z.number().int().positive(),
  sha256: z.string().regex(SHA256, '64 lower-case hex digits'),
  /**
   * sha256 of the same graph without its `saliency` output (built-in models only): the vectors come from that graph
   * byte for byte, so the identity hashes it instead of the file, and a model that gained the map re-embeds nothing.
   */
  embeddingSha256: z.string().regex(SHA256, '64 lower-case hex digits').optional(),
  bytes: z.number().int().positive(),
  license: z.string().min(1),
  source: z.object({ name: z.string().min(1), url: z.string().optional(), version: z.string().optional(), notes: z.string().optional() }),
});

type ManifestDraft = z.infer<typeof baseSchema>;

function checkConsistency(m: Pick<ManifestDraft, 'outputs' | 'dim' | 'saliency'>, ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  m.outputs.forEach((o, i) => {
    if (names.has(o.name)) ctx.addIssue({ code: 'custom', path: ['outputs', i, 'name'], message: `duplicate output name '${o.name}'` });
    names.add(o.name);
  });
  if (m.saliency && names.has(m.saliency.name)) {
    ctx.addIssue({ code: 'custom', path: ['saliency', 'name'], message: `'${m.saliency.name}' is already a fused output` });
  }
  const sum = m.outputs.reduce((s, o) => s + o.dim, 0);
  if (sum !== m.dim) ctx.addIssue({ code: 'custom', path: ['dim'], message: `weighted-concat of outputs gives ${sum}, not ${m.dim}` });
}

/** A stored manifest: sha256 and size of model.onnx are required. */
export const modelManifestSchema = baseSchema.superRefine(checkConsistency);

/** A manifest a user brings with their own model: the checksum and size are computed on registration. */
export const userManifestSchema = baseSchema
  // A user's model is identified by its own file: it cannot claim another graph's identity.
  .extend({ sha256: baseSchema.shape.sha256.optional(), bytes: baseSchema.shape.bytes.optional(), embeddingSha256: z.undefined().optional() })
  .superRefine(checkConsistency);

export type ModelManifest = z.infer<typeof modelManifestSchema>;
export type UserModelManifest = z.infer<typeof userManifestSchema>;
export type ManifestInput = ModelManifest['input'];
export type ManifestOutput = ModelManifest['outputs'][number];

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Validates a parsed `model.json` against `schema`.
 * @throws AppError('MODEL_INVALID') listing the offending fields, e.g. "input.width: Too small: expected …".
 */
export function parseManifest(json: unknown, where: string): ModelManifest;
export function parseManifest<T>(json: unknown, where: string, schema: z.ZodType<T>): T;
export function parseManifest(json: unknown, where: string, schema: z.ZodType = modelManifestSchema): unknown {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new AppError('MODEL_INVALID', `${where}: invalid model manifest: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * Reads and validates a manifest file.
 * @throws AppError('MODEL_MISSING') when the file does not exist, AppError('MODEL_INVALID') when it is not valid.
 */
export async function readManifest(path: string): Promise<ModelManifest>;
export async function readManifest<T>(path: string, schema: z.ZodType<T>): Promise<T>;
export async function readManifest(path: string, schema: z.ZodType = modelManifestSchema): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('MODEL_MISSING', `${path} does not exist`, { cause: err });
    throw new AppError('MODEL_INVALID', `${path} cannot be read`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AppError('MODEL_INVALID', `${path}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return parseManifest(json, path, schema);
}

/** The manifest as written to disk: two-space JSON with a final newline (stable, so builds are reproducible). */
export function serializeManifest(manifest: ModelManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * A short digest of everything that shapes a vector: the ONNX bytes (by sha256), the input pipeline and the
 * fusion. Two manifests with the same fingerprint produce interchangeable vectors.
 */
export function manifestFingerprint(manifest: ModelManifest): string {
  // `tta` joins only when present, so that manifests without it keep the fingerprints they always had.
  const relevant = {
    sha256: manifest.embeddingSha256 ?? manifest.sha256,
    input: manifest.input,
    outputs: manifest.outputs,
    fusion: manifest.fusion,
    dim: manifest.dim,
    ...(manifest.tta?.flip || manifest.tta?.zoomOut !== undefined ? { tta: manifest.tta } : {}),
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 12);
}

/** The identity the catalog stores beside each vector: `<id>@<version>+<fingerprint>`. */
export function embedderIdentity(manifest: ModelManifest): string {
  return `${manifest.id}@${manifest.version}+${manifestFingerprint(manifest)}`;
}
