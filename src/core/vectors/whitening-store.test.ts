import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../base/logger.js';
import { fitCenter } from './whitening.js';
import { DEFAULT_WHITENING_POLICY, evenSample, pcaOutputDim, planWhitening, readWhitening, removeWhitening, WHITENING_FILE, writeWhitening } from './whitening-store.js';

const P = DEFAULT_WHITENING_POLICY;

describe('planWhitening', () => {
  it('keeps raw vectors below centerMin, centres from centerMin, learns a PCA from pcaMin', () => {
    expect(planWhitening(P.centerMin - 1, 2816, undefined)).toBeUndefined();
    expect(planWhitening(P.centerMin, 2816, undefined)).toEqual({ kind: 'center' });
    expect(planWhitening(P.pcaMin - 1, 2816, { kind: 'center', samples: P.pcaMin - 1 })).toBeUndefined();
    expect(planWhitening(P.pcaMin, 2816, { kind: 'center', samples: 700 })).toEqual({ kind: 'pca', outputDim: 192 });
  });

  it('re-learns once the folder grew by the regrow factor, never on shrinking', () => {
    expect(planWhitening(1400, 2816, { kind: 'pca', samples: 1000 })).toBeUndefined();
    expect(planWhitening(1500, 2816, { kind: 'pca', samples: 1000 })).toEqual({ kind: 'pca', outputDim: 320 });
    expect(planWhitening(40, 2816, { kind: 'center', samples: 20 })).toEqual({ kind: 'center' });
    expect(planWhitening(500, 2816, { kind: 'pca', samples: 3000 })).toBeUndefined();
  });

  it('measures growth against the folder size it was learned at, not the capped sample', () => {
    // Learned from 4,096 of 10,000 embeddings: one more photo is no reason to learn again, 15,000 is.
    expect(planWhitening(10_001, 2816, { kind: 'pca', samples: 4096, embeddings: 10_000 })).toBeUndefined();
    expect(planWhitening(14_999, 2816, { kind: 'pca', samples: 4096, embeddings: 10_000 })).toBeUndefined();
    expect(planWhitening(15_000, 2816, { kind: 'pca', samples: 4096, embeddings: 10_000 })).toEqual({ kind: 'pca', outputDim: 512 });
  });

  it('caps the PCA dimension by n / 4, the policy and the input', () => {
    expect(pcaOutputDim(1000, 2816, P)).toBe(192);
    expect(pcaOutputDim(2048, 2816, P)).toBe(512);
    expect(pcaOutputDim(100_000, 2816, P)).toBe(512);
    expect(pcaOutputDim(100_000, 300, P)).toBe(300);
    expect(pcaOutputDim(40, 2816, P)).toBe(10);
    expect(pcaOutputDim(2, 2816, P)).toBe(1);
    // A huge folder learns from the sample cap: the dimension follows the samples actually used.
    expect(planWhitening(1_000_000, 576, { kind: 'pca', samples: 4096 })).toEqual({ kind: 'pca', outputDim: 512 });
  });
});

describe('whitening file', () => {
  let dir: string;
  const lines: string[] = [];
  const logger = createLogger({ sink: (l) => lines.push(l) });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-whitening-'));
    lines.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is written atomically and read back only for the same embedder and dimension', () => {
    const w = fitCenter(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3);
    writeWhitening(dir, 'fast@1+abc', w);
    expect(readWhitening(dir, 'fast@1+abc', 3, logger)?.mean).toEqual(Float32Array.from([2.5, 3.5, 4.5]));
    writeWhitening(dir, 'fast@1+abc', { ...w, embeddings: w.samples + 10 });
    expect(readWhitening(dir, 'fast@1+abc', 3, logger)?.embeddings).toBe(w.samples + 10);
    expect(readWhitening(dir, 'accurate@2+def', 3, logger)).toBeUndefined();
    expect(readWhitening(dir, 'fast@1+abc', 4, logger)).toBeUndefined();
    removeWhitening(dir);
    expect(readWhitening(dir, 'fast@1+abc', 3, logger)).toBeUndefined();
  });

  it('ignores (and logs) a damaged file', () => {
    writeFileSync(join(dir, WHITENING_FILE), 'garbage');
    expect(readWhitening(dir, 'x', 3, logger)).toBeUndefined();
    expect(lines.join('\n')).toMatch(/unreadable vector transform/);
  });
});

describe('evenSample', () => {
  it('spreads count indices over 0 … n − 1', () => {
    expect(evenSample(5, 10)).toEqual([0, 1, 2, 3, 4]);
    expect(evenSample(10, 5)).toEqual([0, 2, 4, 6, 8]);
    expect(new Set(evenSample(10_000, 4096)).size).toBe(4096);
  });
});
