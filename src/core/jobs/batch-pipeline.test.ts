import { describe, expect, it } from 'vitest';
import { BatchPipeline } from './batch-pipeline.js';

/** A promise with its resolve function, to release work at a chosen moment. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Lets every promise chain that can settle now settle. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchPipeline', () => {
  it('writes every batch in order, with at most `parallel` embedding at once', async () => {
    let embedding = 0;
    let most = 0;
    const written: number[][] = [];
    const pipeline = new BatchPipeline({ work: range(10), batchSize: 3, aheadBatches: 1, prepare: async (i) => i * 10 });
    const { stopped } = await pipeline.run({
      start: (batch) => {
        embedding += 1;
        most = Math.max(most, embedding);
        // Later batches finish first: the writes must still come in order.
        const vectors = new Promise<number[]>((resolve) => setTimeout(() => resolve(batch), 20 - batch[0]! / 2));
        return { batch, vectors: vectors.finally(() => (embedding -= 1)) };
      },
      write: async ({ vectors }) => void written.push(await vectors),
      parallel: 2,
    });
    await pipeline.stop();
    expect(stopped).toBe(false);
    expect(written).toEqual([[0, 10, 20], [30, 40, 50], [60, 70, 80], [90]]);
    expect(most).toBe(2);
  });

  it('prepares at most `concurrency` items at once, in order, and no further ahead than its window', async () => {
    let running = 0;
    let most = 0;
    const begun: number[] = [];
    const release = gate();
    const pipeline = new BatchPipeline({
      work: range(20),
      batchSize: 4,
      aheadBatches: 1,
      concurrency: 3,
      prepare: async (i) => {
        begun.push(i);
        running += 1;
        most = Math.max(most, running);
        await release.promise;
        running -= 1;
        return i;
      },
    });
    await flush();
    expect(begun).toEqual([0, 1, 2]);
    release.open();
    await flush();
    // Nothing taken yet: two batches' worth (the one to take and one ahead) are prepared, no more.
    expect(begun).toEqual(range(8));
    const written: number[] = [];
    await pipeline.run({ start: (batch) => ({ batch, vectors: Promise.resolve() }), write: async ({ batch }) => void written.push(...batch), parallel: 1 });
    await pipeline.stop();
    expect(written).toEqual(range(20));
    expect(most).toBe(3);
  });

  it('on cancel starts no new embedding, writes the ones embedding, and settles what was being prepared', async () => {
    const controller = new AbortController();
    const written: number[][] = [];
    const begun: number[] = [];
    const settled: number[] = [];
    const pipeline = new BatchPipeline({
      work: range(12),
      batchSize: 2,
      aheadBatches: 2,
      prepare: async (i) => {
        begun.push(i);
        await new Promise((resolve) => setTimeout(resolve, 1));
        settled.push(i);
        return i;
      },
    });
    const { stopped } = await pipeline.run({
      start: (batch) => ({ batch, vectors: new Promise((resolve) => setTimeout(resolve, 5)) }),
      write: async (started) => {
        await started.vectors;
        written.push(started.batch);
        if (written.length === 1) controller.abort();
      },
      parallel: 2,
      signal: controller.signal,
    });
    await pipeline.stop();
    expect(stopped).toBe(true);
    // Two batches were embedding when the first was written and the cancel came.
    expect(written).toEqual([[0, 1], [2, 3]]);
    // Nothing is left running once stop() returned, and nothing past the window was started.
    expect(settled.sort((a, b) => a - b)).toEqual(begun.sort((a, b) => a - b));
    expect(begun.length).toBeLessThan(12);
  });

  it('fails the run with a preparer that throws, and stop() still settles the embeddings in flight', async () => {
    let embeddingsSettled = 0;
    const pipeline = new BatchPipeline({
      work: range(6),
      batchSize: 2,
      aheadBatches: 1,
      prepare: async (i) => {
        if (i === 4) throw new Error('broken preparer');
        return i;
      },
    });
    await expect(
      pipeline.run({
        start: (batch) => ({ batch, vectors: new Promise((resolve) => setTimeout(resolve, 10)).then(() => (embeddingsSettled += 1)) }),
        write: async () => undefined,
        parallel: 3,
      }),
    ).rejects.toThrow('broken preparer');
    await pipeline.stop();
    expect(embeddingsSettled).toBe(2);
  });
});
