/**
 * Dupes' and match's signature verification on worker threads (src/core/dedupe/verification-pool.ts) with the
 * compiled worker, forced on for a few pictures: the same pairs, scores and reasons as verifying on the calling
 * thread (what a collection under 20,000 candidate pairs, and every other test, gets), for one side compared with
 * itself (dupes) and for two sides (match).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/app/engine.js';
import { ALTERATION_KINDS, alterImage } from '../../src/core/eval/alterations.js';
import { findPackageRoot } from '../../src/core/models/package-root.js';
import { scene } from '../support/synthetic.js';
import { ensureBuiltCli } from './built-cli.js';
import { openTestEngine, tempDir, type TempDir } from './helpers.js';

const WORKER = join(findPackageRoot(import.meta.url), 'dist', 'core', 'dedupe', 'verify.worker.js');
const tmp: TempDir = tempDir('verify-workers');

describe('signature verification on worker threads', () => {
  const data = join(tmp.path, 'data');
  const ours = join(tmp.path, 'ours');
  const theirs = join(tmp.path, 'theirs');

  beforeAll(async () => {
    await ensureBuiltCli();
    mkdirSync(ours, { recursive: true });
    mkdirSync(theirs, { recursive: true });
    // Six photos, each with an altered copy in our folder and another in theirs, and two photos with no copy.
    for (let i = 0; i < 8; i++) {
      const src = await scene(900 + i, 480, 360).jpeg({ quality: 92 }).toBuffer();
      writeFileSync(join(ours, `p${i}.jpg`), src);
      if (i >= 6) continue;
      writeFileSync(join(ours, `p${i}-copy.jpg`), (await alterImage(src, ALTERATION_KINDS[i % ALTERATION_KINDS.length]!)).data);
      writeFileSync(join(theirs, `t${i}.jpg`), (await alterImage(src, ALTERATION_KINDS[(i + 3) % ALTERATION_KINDS.length]!)).data);
    }
    const engine = await openTestEngine(data);
    await engine.api['library:addFolder']({ collection: 'ours', path: ours });
    await engine.api['library:addFolder']({ collection: 'theirs', path: theirs });
    await engine.indexer.run(['ours', 'theirs']);
    await engine.close();
  }, 300_000);

  afterAll(() => tmp.remove());

  /** What a user sees of the groups and the matches, from an engine opened with `workers` on or off. */
  async function outcomes(workers: boolean) {
    const engine: Engine = await openTestEngine(data, workers ? { verifyWorkerFile: WORKER, verifyPoolMinCandidates: 1 } : {});
    try {
      const { groups } = await engine.dedupe.list();
      // Everything but the timings (`seconds`, at the top and in the candidate stats).
      const matched = JSON.stringify(await engine.api['match:run']({ ours: 'ours', theirs: 'theirs', k: 5, oneToOne: false }), (key, value: unknown) => (key === 'seconds' ? undefined : value));
      return { groups: groups.map((g) => g.items.map((i) => ({ path: i.path, score: i.score, reason: i.reason }))), matched };
    } finally {
      await engine.close();
    }
  }

  it('gives the same groups and matches as the calling thread', async () => {
    const onThread = await outcomes(false);
    const onWorkers = await outcomes(true);
    // The fixture has something to find: the copies group with their photos.
    expect(onThread.groups.length).toBeGreaterThanOrEqual(4);
    expect(onWorkers.groups).toEqual(onThread.groups);
    expect(onWorkers.matched).toBe(onThread.matched);
    expect(onThread.matched).toContain('t0.jpg');
  }, 300_000);

  it('refuses a verification worker module that does not exist', async () => {
    await expect(openTestEngine(data, { verifyWorkerFile: join(tmp.path, 'no-such-worker.js') })).rejects.toThrow(/verification worker/);
  });
});
