/**
 * The data folder's models: which exist (built-in and the user's), which one the folder uses, adding one's own,
 * switching (re-embed, then switch: jobs/reembed.job.ts), and keeping the folder's learned vector transform up
 * to date after indexing.
 */
import type { z } from 'zod';
import type { ModelInfoSchema, TransformInfoSchema } from '../../shared/api.js';
import type { Progress } from '../../shared/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { IndexJobs, StartIndexOptions, TaskContext, TaskHandle } from '../jobs/index-jobs.js';
import { reembedFolder, type ReembedSummary } from '../jobs/reembed.job.js';
import type { Logger } from '../base/logger.js';
import type { ModelState, OpenEmbedder } from '../models/model-state.js';
import { listModels, type ModelInfo } from '../models/registry.js';
import { addUserModel, type AddUserModelOptions } from '../models/user-models.js';

export type ModelListing = {
  active: string;
  transform: z.output<typeof TransformInfoSchema> | null;
  models: z.output<typeof ModelInfoSchema>[];
};

export interface ModelsServiceDeps {
  catalog: Catalog;
  dataDir: string;
  model: ModelState;
  jobs: IndexJobs;
  openEmbedder: OpenEmbedder;
  device?: 'cpu' | 'gpu' | 'auto';
  logger: Logger;
  maxPixels?: number;
  maxFileBytes?: number;
  /** Where built-in models live (tests); default `<repo>/models`. */
  modelsDir?: string;
}

export class ModelsService {
  constructor(private readonly deps: ModelsServiceDeps) {}

  /** Built-in and user models, the one in use marked, and the folder's current vector transform. */
  async list(): Promise<ModelListing> {
    const { dataDir, model, logger } = this.deps;
    const infos = await listModels(dataDir, { logger, ...(this.deps.modelsDir ? { modelsDir: this.deps.modelsDir } : {}) });
    const models = infos.map((m) => ({ ...publicInfo(m), active: m.id === model.modelId }));
    const t = model.transformInfo();
    return { active: model.modelId, transform: t ? { kind: t.kind, outputDim: t.outputDim, samples: t.samples } : null, models };
  }

  /**
   * Validates and registers a user model in this data folder (see addUserModel).
   * @throws AppError MODEL_INVALID, MODEL_MISSING, CHECKSUM_MISMATCH
   */
  async add(onnxPath: string, manifestPath: string, options: Omit<AddUserModelOptions, 'logger' | 'modelsDir'> = {}): Promise<ModelInfo> {
    return addUserModel(this.deps.dataDir, onnxPath, manifestPath, {
      ...options,
      logger: this.deps.logger,
      ...(this.deps.modelsDir ? { modelsDir: this.deps.modelsDir } : {}),
    });
  }

  /**
   * Starts re-embedding the folder with model `id`; the folder switches to it when every photo is done (before
   * that, search keeps using the old vectors). Nothing is re-embedded when the folder already uses that exact model.
   * @throws AppError MODEL_MISSING / MODEL_INVALID (the model cannot be opened), INDEX_BUSY, DATA_DIR_LOCKED
   */
  async use(id: string, options: StartIndexOptions = {}): Promise<TaskHandle<ReembedSummary>> {
    const { catalog, dataDir, model, logger } = this.deps;
    const embedder = await this.deps.openEmbedder({ modelId: id, dataDir, logger, ...(this.deps.device ? { device: this.deps.device } : {}) });
    let handle: TaskHandle<ReembedSummary>;
    try {
      handle = this.deps.jobs.startTask('reembed', 'reembed', options, async (ctx) => {
        try {
          const started = Date.now();
          const items = catalog.items.totals().vectors;
          if (embedder.modelId === catalog.meta.get('embedder_id') || items === 0) {
            // Same vectors already (or nothing to re-embed): only the folder's model changes.
            catalog.transaction(() => {
              catalog.meta.set('model_id', id);
              catalog.meta.set('embedder_id', embedder.modelId);
              catalog.meta.set('dimensions', String(embedder.dim));
            });
            await model.adopt(id);
            report({ ...ctx, kind: 'reembed' }, 'done', 0, 0);
            return { modelId: id, embedderId: embedder.modelId, total: items, embedded: 0, resumed: 0, copied: 0, failed: 0, cancelled: false, seconds: (Date.now() - started) / 1000 };
          }
          const summary = await reembedFolder(
            { catalog, dataDir, embedder, logger, ...(this.deps.maxPixels ? { maxPixels: this.deps.maxPixels } : {}), ...(this.deps.maxFileBytes ? { maxFileBytes: this.deps.maxFileBytes } : {}) },
            { jobId: ctx.jobId, modelId: id, signal: ctx.signal, onProgress: ctx.onProgress },
          );
          if (summary.cancelled) return summary;
          await model.adopt(id);
          await this.refreshTransform({ ...ctx, kind: 'reembed' }, { force: true });
          report({ ...ctx, kind: 'reembed' }, 'done', summary.total, summary.total, summary.failed);
          return summary;
        } finally {
          await embedder.close();
        }
      });
    } catch (err) {
      await embedder.close();
      throw err;
    }
    return handle;
  }

  /**
   * Learns the folder's whitening when due (or always, with `force`) and rebuilds every collection's index
   * under the new transform, reporting progress as the job's 'saving' phase.
   * @returns whether the transform changed.
   */
  async refreshTransform(ctx?: TaskContext & { kind: Progress['kind'] }, options: { force?: boolean } = {}): Promise<boolean> {
    const { catalog, model } = this.deps;
    if (ctx) report(ctx, 'saving', 0, 0, 0, 'learning the vector transform from the catalog');
    const learning = {
      ...options,
      ...(ctx ? { signal: ctx.signal, onStep: (message: string) => report(ctx, 'saving', 0, 0, 0, message) } : {}),
    };
    if (!(await model.updateWhitening(learning))) return false;
    const vectors = model.vectors();
    const collections = catalog.collections.list();
    const names = new Map(collections.map((c) => [c.id as number, c.name]));
    await vectors?.openAll(
      collections.map((c) => c.id),
      {
        ...(ctx ? { signal: ctx.signal } : {}),
        onProgress: (cid, done, total) => {
          if (ctx) report(ctx, 'saving', done, total, 0, `rebuilding the vector index of ${names.get(cid) ?? cid}`);
        },
      },
    );
    return true;
  }
}

function report(ctx: TaskContext & { kind: Progress['kind'] }, phase: Progress['phase'], done: number, total: number, failed = 0, message?: string): void {
  ctx.onProgress({ jobId: ctx.jobId, kind: ctx.kind, phase, done, total, failed, rate: 0, etaSeconds: null, ...(message === undefined ? {} : { message }) });
}

/** What a transport may show: no file-system paths, no source notes. */
function publicInfo(m: ModelInfo): Omit<z.output<typeof ModelInfoSchema>, 'active'> {
  return {
    tta: m.tta,
    id: m.id,
    name: m.name,
    version: m.version,
    ...(m.description === undefined ? {} : { description: m.description }),
    dim: m.dim,
    input: m.input,
    builtin: m.builtin,
    available: m.available,
    license: m.license,
  };
}
