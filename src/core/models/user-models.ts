/**
 * "Bring your own model": an ONNX file plus a manifest, checked end to end (manifest, session I/O, one test
 * inference) before it is copied into `<dataDir>/models/<id>/` with its sha256 recorded.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../base/logger.js';
import { MANIFEST_FILE, MODEL_FILE, modelManifestSchema, readManifest, serializeManifest, userManifestSchema, type UserModelManifest } from './manifest.js';
import { openManifestModel, sha256Hex } from './model-loader.js';
import { reservedModelIds, toModelInfo, userModelsDir, type ModelInfo } from './registry.js';

export interface AddUserModelOptions {
  logger?: Logger;
  /** Where built-in models live (their ids are reserved); default `<repo>/models`. */
  modelsDir?: string;
  /** Replace an existing user model with the same id. */
  replace?: boolean;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates and installs a user model.
 * @throws AppError('MODEL_INVALID') for a bad manifest, a reserved or taken id, a model ONNX Runtime cannot load
 *   or whose inputs/outputs/dimensions differ from the manifest; AppError('MODEL_MISSING') when a file does not
 *   exist; AppError('CHECKSUM_MISMATCH') when the manifest names a different sha256.
 */
export async function addUserModel(dataDir: string, onnxPath: string, manifestPath: string, options: AddUserModelOptions = {}): Promise<ModelInfo> {
  const logger = options.logger ?? nullLogger;
  const draft: UserModelManifest = await readManifest(manifestPath, userManifestSchema);
  if ((await reservedModelIds(options.modelsDir)).has(draft.id)) {
    throw new AppError('MODEL_INVALID', `model id '${draft.id}' belongs to a built-in model; choose another id in ${manifestPath}`);
  }
  const root = userModelsDir(dataDir);
  const target = join(root, draft.id);
  if (!options.replace && (await exists(target))) {
    throw new AppError('MODEL_INVALID', `a user model '${draft.id}' already exists in ${target}; remove it or add with replace`);
  }

  let bytes: Uint8Array;
  try {
    bytes = await readFile(onnxPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'MODEL_MISSING' : 'MODEL_INVALID';
    throw new AppError(code, `${onnxPath} cannot be read`, { cause: err });
  }
  const sha256 = sha256Hex(bytes);
  if (draft.sha256 !== undefined && draft.sha256 !== sha256) {
    throw new AppError('CHECKSUM_MISMATCH', `${onnxPath} has sha256 ${sha256}, ${manifestPath} says ${draft.sha256}`);
  }
  const manifest = modelManifestSchema.parse({ ...draft, sha256, bytes: bytes.length });

  // One real inference on a random image (batch of two, to exercise the batch dimension) proves the model
  // runs and gives `dim` finite values per output, which static shapes alone cannot (symbolic dimensions).
  const embedder = await openManifestModel(manifest, bytes, { device: 'cpu', logger, intraOpThreads: 1 });
  try {
    const pixels = [0, 1].map(() => randomBytes(manifest.input.width * manifest.input.height * 3));
    const vectors = await embedder.embed(pixels);
    for (const v of vectors) {
      if (v.length !== manifest.dim || !v.every(Number.isFinite)) {
        throw new AppError('MODEL_INVALID', `model ${manifest.id}: the test inference gave ${v.length} values (expected ${manifest.dim}) or non-finite values`);
      }
    }
  } finally {
    await embedder.close();
  }

  // Stage in a sibling folder and rename, so a half-copied model never appears under its id.
  await mkdir(root, { recursive: true });
  const staging = join(root, `.staging-${manifest.id}-${process.pid}-${Date.now()}`);
  await mkdir(staging);
  try {
    await writeFile(join(staging, MODEL_FILE), bytes);
    await writeFile(join(staging, MANIFEST_FILE), serializeManifest(manifest));
    if (options.replace) await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  logger.info('added user model', { id: manifest.id, dir: target, dim: manifest.dim, sha256 });
  return toModelInfo(manifest, target, false);
}
