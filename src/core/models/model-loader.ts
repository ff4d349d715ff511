/**
 * Opens one model folder (`model.json` + `model.onnx`) as an Embedder: verifies the file against the manifest's
 * sha256, starts a session on the chosen execution provider and checks the session's inputs and outputs
 * against the manifest before the first image is embedded.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../base/logger.js';
import type { Embedder } from './embedder.js';
import { createSession, type CreateSessionOptions, type DeviceRequest } from './execution-providers.js';
import { embedderIdentity, MANIFEST_FILE, MODEL_FILE, readManifest, type ModelManifest } from './manifest.js';
import { OnnxEmbedder } from './onnx-embedder.js';

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export interface LoadedModelFiles {
  manifest: ModelManifest;
  bytes: Uint8Array;
}

/**
 * Reads a model folder and verifies model.onnx against the manifest. Hashing costs ~50 ms for the 43 MB
 * accurate model (SHA-NI) against a read that is needed anyway, so it is done on every open.
 * @throws AppError('MODEL_MISSING') naming `missingHint`, AppError('MODEL_INVALID'), AppError('CHECKSUM_MISMATCH').
 */
export async function loadModelFiles(dir: string, missingHint = ''): Promise<LoadedModelFiles> {
  const hint = missingHint === '' ? '' : ` ${missingHint}`;
  let manifest: ModelManifest;
  try {
    manifest = await readManifest(join(dir, MANIFEST_FILE));
  } catch (err) {
    if (err instanceof AppError && err.code === 'MODEL_MISSING') throw new AppError('MODEL_MISSING', `${err.message}.${hint}`, { cause: err });
    throw err;
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(dir, MODEL_FILE));
  } catch (err) {
    const path = join(dir, MODEL_FILE);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('MODEL_MISSING', `model ${manifest.id}: ${path} does not exist.${hint}`, { cause: err });
    throw new AppError('MODEL_INVALID', `model ${manifest.id}: ${path} cannot be read`, { cause: err });
  }
  const actual = sha256Hex(bytes);
  if (actual !== manifest.sha256) {
    throw new AppError(
      'CHECKSUM_MISMATCH',
      `model ${manifest.id}: ${join(dir, MODEL_FILE)} has sha256 ${actual.slice(0, 12)}…, its manifest expects ${manifest.sha256.slice(0, 12)}….${hint}`,
    );
  }
  return { manifest, bytes };
}

function describeShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks that a session takes exactly the manifest's input (float32, rank 4 in its layout, matching fixed
 * sizes) and produces every manifest output as float32 with `dim` values per image where the shape is fixed.
 * @throws AppError('MODEL_INVALID') saying what differs.
 */
export function checkSessionIo(session: InferenceSession, manifest: ModelManifest): void {
  const problem = findIoProblem(session, manifest);
  if (problem !== undefined) throw new AppError('MODEL_INVALID', `model ${manifest.id}: ${problem}`);
}

function findIoProblem(session: InferenceSession, manifest: ModelManifest): string | undefined {
  const { input } = manifest;
  if (session.inputNames.length !== 1 || session.inputNames[0] !== input.name) {
    return `the manifest's input is '${input.name}', the ONNX model takes [${session.inputNames.join(', ')}]`;
  }
  const meta = session.inputMetadata.find((m) => m.name === input.name);
  if (meta === undefined || !meta.isTensor || meta.type !== 'float32') return `input '${input.name}' must be a float32 tensor`;
  // Symbolic (string) or unknown (-1) dimensions accept any size; fixed ones must match the manifest.
  const expected = input.layout === 'nchw' ? ['batch', 3, input.height, input.width] : ['batch', input.height, input.width, 3];
  const fits = meta.shape.length === 4 && meta.shape.every((d, i) => typeof d !== 'number' || d < 0 || i === 0 || d === expected[i]);
  if (!fits) return `input '${input.name}' has shape ${describeShape(meta.shape)}, the manifest describes ${input.layout} ${describeShape(expected)}`;
  for (const output of manifest.outputs) {
    const m = session.outputMetadata.find((o) => o.name === output.name);
    if (m === undefined) return `output '${output.name}' is not produced; the model's outputs are [${session.outputNames.join(', ')}]`;
    if (!m.isTensor || m.type !== 'float32') return `output '${output.name}' must be a float32 tensor`;
    const perImage = m.shape.slice(1);
    if (perImage.every((d): d is number => typeof d === 'number' && d > 0)) {
      const values = perImage.reduce((a, b) => a * b, 1);
      if (values !== output.dim) return `output '${output.name}' has shape ${describeShape(m.shape)} (${values} values per image), the manifest says dim ${output.dim}`;
    }
  }
  if (manifest.saliency) {
    const { name, height, width } = manifest.saliency;
    const m = session.outputMetadata.find((o) => o.name === name);
    if (m === undefined) return `saliency output '${name}' is not produced; the model's outputs are [${session.outputNames.join(', ')}]`;
    if (!m.isTensor || m.type !== 'float32') return `saliency output '${name}' must be a float32 tensor`;
    const fixed = m.shape.slice(1).every((d) => typeof d === 'number' && d > 0);
    if (fixed && (m.shape.length !== 4 || m.shape[1] !== 1 || m.shape[2] !== height || m.shape[3] !== width)) {
      return `saliency output '${name}' has shape ${describeShape(m.shape)}, the manifest says [batch, 1, ${height}, ${width}]`;
    }
  }
  return undefined;
}

export interface OpenModelOptions {
  device: DeviceRequest;
  logger: Logger;
  intraOpThreads?: number;
  maxBatch?: number;
  /** Told to the user when the model files are missing, e.g. "Run `npm run build:models`." */
  missingHint?: string;
  /** Test seam for provider selection. */
  sessionOverrides?: Pick<CreateSessionOptions, 'platform' | 'listBackends' | 'providerInstalled' | 'create'>;
}

/**
 * Opens a model folder as an Embedder.
 * @throws AppError('MODEL_MISSING' | 'MODEL_INVALID' | 'CHECKSUM_MISMATCH').
 */
export async function openModelDir(dir: string, options: OpenModelOptions): Promise<Embedder> {
  const { manifest, bytes } = await loadModelFiles(dir, options.missingHint);
  return openManifestModel(manifest, bytes, options);
}

/**
 * Starts a session for already-verified bytes and wraps it in an OnnxEmbedder.
 * @throws AppError('MODEL_INVALID') when ONNX Runtime rejects the model or its I/O differs from the manifest.
 */
export async function openManifestModel(manifest: ModelManifest, bytes: Uint8Array, options: OpenModelOptions): Promise<Embedder> {
  let created;
  try {
    created = await createSession(bytes, {
      device: options.device,
      modelId: manifest.id,
      logger: options.logger,
      ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }),
      ...options.sessionOverrides,
    });
  } catch (err) {
    throw new AppError('MODEL_INVALID', `model ${manifest.id}: ONNX Runtime cannot load it: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  try {
    checkSessionIo(created.session, manifest);
  } catch (err) {
    await created.session.release();
    throw err;
  }
  return new OnnxEmbedder({
    modelId: embedderIdentity(manifest),
    manifest,
    session: created.session,
    device: created.provider,
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
  });
}
