import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnnIndex, type AnnParams } from './ann-index.js';

const params: AnnParams = { dimensions: 16, quantization: 'f16', connectivity: 16 };

function filled(n: number): AnnIndex {
  const index = AnnIndex.create(params);
  const flat = new Float32Array(n * params.dimensions).map((_, i) => Math.sin(i * 0.37) + 1.1);
  index.add(
    Array.from({ length: n }, (_, i) => i + 1),
    flat,
  );
  return index;
}

describe('AnnIndex files', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-ann-'));
    file = join(dir, 'x.usearch');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves atomically with a checksum trailer and loads what it saved', () => {
    filled(200).saveAtomic(file);
    expect(readdirSync(dir)).toEqual(['x.usearch']);
    const loaded = AnnIndex.load(file, params);
    expect(loaded.size).toBe(200);
    expect(loaded.containsAll([1, 100, 200])).toBe(true);
  });

  it('refuses damaged or foreign files before usearch reads them (never a crash or a huge allocation)', () => {
    filled(200).saveAtomic(file);
    const good = readFileSync(file);
    const damaged: [string, Buffer][] = [
      ['a flipped bit in the graph', Buffer.from(good).fill(good[good.length - 200]! ^ 1, good.length - 200, good.length - 199)],
      ['truncated', good.subarray(0, good.length - 1000)],
      ['no trailer', good.subarray(0, good.length - 48)],
      ['garbage that claims billions of vectors', Buffer.from('not an index, but long enough to have a trailer-sized tail....................')],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [what, bytes] of damaged) {
      writeFileSync(file, bytes);
      expect(() => AnnIndex.load(file, params), what).toThrow();
    }
    // A valid file of other dimensions is refused by its header, not misread.
    writeFileSync(file, good);
    expect(() => AnnIndex.load(file, { ...params, dimensions: 32 })).toThrow(/vectors, expected/);
  });
});
