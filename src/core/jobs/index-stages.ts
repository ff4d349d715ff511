/** Where an index run's time goes, counted as it runs (a few performance.now() calls per batch and per file). */
import type { z } from 'zod';
import type { IndexStagesSchema } from '../../shared/api.js';

/** Where the run's time went (milliseconds); see IndexStagesSchema. */
export type IndexStages = z.output<typeof IndexStagesSchema>;

export function emptyStages(): IndexStages {
  return { scanMs: 0, diffMs: 0, waitMs: 0, preprocessMs: 0, inferenceMs: 0, writeMs: 0, saveMs: 0, otherMs: 0, readMs: 0, hashMs: 0, decodeMs: 0, signatureMs: 0 };
}

/** The stages rounded to 0.1 ms, with the run's unaccounted main-line time as `otherMs`. */
export function roundStages(stages: IndexStages, wallMs: number): IndexStages {
  const line = stages.scanMs + stages.diffMs + stages.waitMs + stages.preprocessMs + stages.inferenceMs + stages.writeMs + stages.saveMs;
  const out = { ...stages, otherMs: Math.max(0, wallMs - line) };
  for (const key of Object.keys(out) as (keyof IndexStages)[]) out[key] = Math.round(out[key] * 10) / 10;
  return out;
}
