/** Branded ids: a number that came from the catalog cannot be confused with any other number. */
export type ItemId = number & { readonly __brand: 'ItemId' };
export type CollectionId = number & { readonly __brand: 'CollectionId' };
export type JobId = string & { readonly __brand: 'JobId' };

export const asItemId = (n: number): ItemId => n as ItemId;
export const asCollectionId = (n: number): CollectionId => n as CollectionId;
export const asJobId = (s: string): JobId => s as JobId;

/** A rectangle in the pixel space of the EXIF-oriented image. */
export interface CropRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Progress of a long job: enough for a bar, a rate and an ETA. */
export interface Progress {
  jobId: JobId;
  kind: 'index' | 'reembed' | 'dupes' | 'match' | 'ocr';
  phase: 'scanning' | 'fingerprinting' | 'embedding' | 'saving' | 'done' | 'cancelled' | 'failed';
  done: number;
  total: number;
  failed: number;
  /** Items per second over the recent window; 0 while unknown. */
  rate: number;
  /** Seconds left at the current rate; null while unknown. */
  etaSeconds: number | null;
  message?: string;
  /** The collection an index job is working on (a job may index several, one after another). */
  collection?: string;
}
