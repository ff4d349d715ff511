/**
 * Which models exist and how to open one. Built-in models live in `<repo>/models/<id>/` (model.json committed,
 * model.onnx built from it by `npm run build:models`); models a user brings live in `<dataDir>/models/<id>/`. Opening is lazy and shared:
 * concurrent callers asking for the same model on the same device get the same Embedder.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../base/logger.js';
import type { EmbedDetailOptions, EmbedTimings, Embedder, ModelInputSpec } from './embedder.js';
import type { DeviceRequest } from './execution-providers.js';
import { MANIFEST_FILE, MODEL_FILE, readManifest, type ModelManifest } from './manifest.js';
import { openModelDir } from './model-loader.js';
import { builtinModelsDir } from './package-root.js';

export const DEFAULT_MODEL_ID = 'accurate';
export const BUILD_HINT = 'Run `npm run build:models` to build the built-in models.';

export interface OpenEmbedderOptions {
  /** Default 'accurate'. */
  modelId?: string;
  /** User-added models live in `<dataDir>/models/<id>/`. */
  dataDir?: string;
  /** Default 'auto': a GPU provider when one starts, else CPU. */
  device?: DeviceRequest;
  logger?: Logger;
  /** ONNX Runtime intra-op threads; default: ONNX Runtime's choice (one per physical core). */
  intraOpThreads?: number;
  /** Where built-in models live; default `<repo>/models`. */
  modelsDir?: string;
  /** Images per inference call (default 8). */
  maxBatch?: number;
}

export interface ModelInfo {
  id: string;
  name: string;
  version: string;
  description?: string;
  dim: number;
  input: ModelInputSpec;
  builtin: boolean;
  /** Test-time augmentation: views embedded besides the image itself, averaged (manifest `tta`). */
  tta: { flip: boolean; zoomOut: number | null };
  /** False when the manifest exists but model.onnx does not (a built-in that was not built yet). */
  available: boolean;
  dir: string;
  license: string;
  source: ModelManifest['source'];
}

/** `<dataDir>/models`. */
export function userModelsDir(dataDir: string): string {
  return join(dataDir, 'models');
}

/** Ids a user model may not take: the committed built-ins and whatever else ships in the given built-in folder. */
export async function reservedModelIds(modelsDir: string = builtinModelsDir()): Promise<Set<string>> {
  return new Set([...(await subfolders(builtinModelsDir())), ...(await subfolders(modelsDir))]);
}

async function subfolders(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

function isBuiltin(id: string, modelsDir: string): boolean {
  return [modelsDir, builtinModelsDir()].some((dir) => existsSync(join(dir, id, MANIFEST_FILE)));
}

/** The manifest as a ModelInfo. */
export function toModelInfo(manifest: ModelManifest, dir: string, builtin: boolean): ModelInfo {
  return {
    id: manifest.id,
    name: manifest.name,
    version: manifest.version,
    ...(manifest.description === undefined ? {} : { description: manifest.description }),
    dim: manifest.dim,
    input: { width: manifest.input.width, height: manifest.input.height, resize: manifest.input.resize },
    builtin,
    tta: { flip: manifest.tta?.flip ?? false, zoomOut: manifest.tta?.zoomOut ?? null },
    available: existsSync(join(dir, MODEL_FILE)),
    dir,
    license: manifest.license,
    source: manifest.source,
  };
}

async function infosIn(root: string, builtin: boolean, logger: Logger): Promise<ModelInfo[]> {
  const infos: ModelInfo[] = [];
  for (const id of await subfolders(root)) {
    const dir = join(root, id);
    try {
      const manifest = await readManifest(join(dir, MANIFEST_FILE));
      if (manifest.id !== id) throw new AppError('MODEL_INVALID', `${dir}: manifest id '${manifest.id}' differs from its folder name`);
      infos.push(toModelInfo(manifest, dir, builtin));
    } catch (err) {
      logger.warn('skipping model folder', { dir, reason: (err as Error).message });
    }
  }
  return infos;
}

/** Lists built-in models (built or not) followed by the user's, each group sorted by id. */
export async function listModels(dataDir?: string, options: { modelsDir?: string; logger?: Logger } = {}): Promise<ModelInfo[]> {
  const logger = options.logger ?? nullLogger;
  const builtins = await infosIn(options.modelsDir ?? builtinModelsDir(), true, logger);
  const users = dataDir === undefined ? [] : await infosIn(userModelsDir(dataDir), false, logger);
  const reserved = new Set(builtins.map((m) => m.id));
  return [...builtins, ...users.filter((m) => !reserved.has(m.id))];
}

interface SharedModel {
  loading: Promise<Embedder>;
  /** Handles given out and not yet closed. */
  refs: number;
}

const shared = new Map<string, SharedModel>();

/** A caller's handle on a shared embedder: closing it releases the session only when no other handle is open. */
function handle(inner: Embedder, release: () => Promise<void>): Embedder {
  let closed = false;
  return {
    modelId: inner.modelId,
    dim: inner.dim,
    input: inner.input,
    device: inner.device,
    embed(pixels, timings) {
      return closed ? Promise.reject(new Error(`embedder ${inner.modelId} used after close()`)) : inner.embed(pixels, timings);
    },
    ...(inner.saliency && inner.embedDetailed
      ? {
          saliency: inner.saliency,
          embedDetailed: (pixels: readonly Buffer[], options?: EmbedDetailOptions, timings?: EmbedTimings) =>
            closed ? Promise.reject(new Error(`embedder ${inner.modelId} used after close()`)) : inner.embedDetailed!(pixels, options, timings),
        }
      : {}),
    async close() {
      if (closed) return;
      closed = true;
      await release();
    },
  };
}

/**
 * The folder a model's files are in: `<modelsDir>/<id>` for a built-in, `<dataDir>/models/<id>` for a user model.
 * @throws AppError('MODEL_MISSING') for an id that is not built in when no data folder is given.
 */
export function modelDirOf(opts: Pick<OpenEmbedderOptions, 'modelId' | 'modelsDir' | 'dataDir'>): { dir: string; builtin: boolean } {
  const id = opts.modelId ?? DEFAULT_MODEL_ID;
  const modelsDir = opts.modelsDir ?? builtinModelsDir();
  if (isBuiltin(id, modelsDir)) return { dir: join(modelsDir, id), builtin: true };
  if (opts.dataDir !== undefined) return { dir: join(userModelsDir(opts.dataDir), id), builtin: false };
  throw new AppError('MODEL_MISSING', `unknown model '${id}': it is not built in and no data folder was given to look for user models`);
}

/**
 * Opens the embedder for a model. Callers asking for the same model, device and settings share one load and
 * one ONNX session; each gets its own handle, and the session is released when the last handle is closed.
 * @throws AppError('MODEL_MISSING') (with the build command for built-ins), AppError('MODEL_INVALID'),
 *   AppError('CHECKSUM_MISMATCH').
 */
export async function openEmbedder(opts: OpenEmbedderOptions = {}): Promise<Embedder> {
  const { dir, builtin } = modelDirOf(opts);
  const device = opts.device ?? 'auto';
  const key = JSON.stringify([dir, device, opts.intraOpThreads ?? null, opts.maxBatch ?? null]);
  let entry = shared.get(key);
  if (entry === undefined) {
    const loading = openModelDir(dir, {
      device,
      logger: opts.logger ?? nullLogger,
      ...(opts.intraOpThreads === undefined ? {} : { intraOpThreads: opts.intraOpThreads }),
      ...(opts.maxBatch === undefined ? {} : { maxBatch: opts.maxBatch }),
      missingHint: builtin ? BUILD_HINT : 'Add it again with addUserModel().',
    });
    const created: SharedModel = { loading, refs: 0 };
    entry = created;
    shared.set(key, created);
    // A failed load is forgotten, so that a retry (after `npm run build:models`, say) starts afresh.
    loading.catch(() => {
      if (shared.get(key) === created) shared.delete(key);
    });
  }
  const current = entry;
  // Count the reference before waiting, so that a handle closed meanwhile cannot release the session under us.
  current.refs += 1;
  let inner: Embedder;
  try {
    inner = await current.loading;
  } catch (err) {
    current.refs -= 1;
    throw err;
  }
  return handle(inner, async () => {
    current.refs -= 1;
    if (current.refs > 0) return;
    if (shared.get(key) === current) shared.delete(key);
    await inner.close();
  });
}
