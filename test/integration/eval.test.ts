/**
 * `lookalike eval` on a tiny generated labeled folder (three labels of generated scenes): the JSON report's shape,
 * the human table, and the refusal of a folder without labels. The numbers themselves are measured on real photos
 * (see the model-quality report); here they only have to be sane.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScene } from '../support/synthetic.js';
import { runCli } from '../support/cli-run.js';
import { tempDir, TEST_MODEL, type TempDir } from './helpers.js';

describe('lookalike eval', () => {
  let tmp: TempDir;
  let labeled: string;

  beforeAll(async () => {
    tmp = tempDir('eval');
    labeled = join(tmp.path, 'labeled');
    const writes: Promise<void>[] = [];
    for (const [l, label] of ['bags', 'hats', 'shoes'].entries()) {
      for (let i = 0; i < 5; i++) writes.push(writeScene(join(labeled, label, `${label}-${i}.jpg`), 900 + l * 10 + i));
    }
    await Promise.all(writes);
  });

  afterAll(() => tmp?.remove());

  it('reports retrieval, near-duplicates and throughput as JSON, and leaves no data folder behind', async () => {
    const evalDirs = () => readdirSync(tmpdir()).filter((f) => f.startsWith('lookalike-eval-'));
    const before = evalDirs();
    const r = await runCli(['--model', TEST_MODEL, '--device', 'cpu', 'eval', labeled, '--near-dup', '3', '--kinds', 'resize,flip', '--json']);
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(1);
    const report = JSON.parse(r.lines[0]!);
    expect(Object.keys(report)).toEqual(['model', 'dataset', 'retrieval', 'nearDuplicate', 'throughput', 'seconds']);
    expect(report.model).toMatchObject({ id: TEST_MODEL, dim: 1152, device: 'cpu', transform: { kind: 'identity', samples: 0 } });
    expect(report.dataset).toMatchObject({ images: 15, labels: { bags: 5, hats: 5, shoes: 5 }, failed: 0 });
    expect(report.retrieval).toMatchObject({ queries: 15, expand: 'auto' });
    for (const key of ['mapAt10', 'precisionAt1', 'recallAt1', 'recallAt5', 'recallAt10']) {
      expect(report.retrieval[key]).toBeGreaterThanOrEqual(0);
      expect(report.retrieval[key]).toBeLessThanOrEqual(1);
    }
    expect(report.retrieval.recallAt10).toBeGreaterThanOrEqual(report.retrieval.recallAt5);
    expect(report.retrieval.recallAt5).toBeGreaterThanOrEqual(report.retrieval.recallAt1);
    expect(report.nearDuplicate).toMatchObject({ originals: 3, failedQueries: 0 });
    expect(Object.keys(report.nearDuplicate.recallAt1)).toEqual(['resize', 'flip']);
    // Resized copies of distinct generated scenes are found first.
    expect(report.nearDuplicate.recallAt1.resize).toBe(1);
    expect(report.throughput.indexImagesPerSecond).toBeGreaterThan(0);
    expect(report.throughput.queryImagesPerSecond).toBeGreaterThan(0);
    expect(evalDirs()).toEqual(before);
  });

  it('prints a table, and keeps the data folder when asked', async () => {
    const keep = join(tmp.path, 'kept');
    const r = await runCli(['--model', TEST_MODEL, 'eval', labeled, '--near-dup', '0', '--no-expand', '--keep', keep]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/retrieval\s+leave-one-out, 15 queries, query expansion off/);
    expect(r.stdout).toMatch(/mAP@10\s+\d\.\d{3}/);
    expect(r.stdout).toMatch(/throughput\s+indexing \d+\.\d images\/s end to end/);
    expect(r.stdout).not.toMatch(/near-duplicates/);
    expect(readdirSync(keep)).toContain('catalog.sqlite');
  });

  it('refuses a folder without at least two labels', async () => {
    const flat = join(tmp.path, 'flat');
    mkdirSync(flat);
    await writeScene(join(flat, 'one', 'a.jpg'), 1);
    const r = await runCli(['--model', TEST_MODEL, 'eval', flat, '--near-dup', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs at least two sub-folders.*\(INVALID_INPUT\)/);
  });
});
