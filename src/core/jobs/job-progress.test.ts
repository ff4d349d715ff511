import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Progress } from '../../shared/types.js';
import { asJobId } from '../../shared/types.js';
import { JobProgress } from './job-progress.js';

describe('JobProgress', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('sends unforced events at most every everyMs, forced ones always, with rate and ETA while embedding', () => {
    const events: Progress[] = [];
    const progress = new JobProgress({ jobId: asJobId('j'), kind: 'reembed', onProgress: (p) => events.push(p), everyMs: 100 });
    progress.emit('scanning', true, 'start');
    progress.begin(10);
    progress.emit('embedding', false);
    vi.advanceTimersByTime(1000);
    progress.advance(4);
    progress.failed = 1;
    progress.emit('embedding', false);
    progress.advance(1);
    progress.emit('embedding', false);
    progress.emit('saving', true);
    expect(events.map((e) => [e.phase, e.done, e.total, e.failed])).toEqual([
      ['scanning', 0, 0, 0],
      ['embedding', 4, 10, 1],
      ['saving', 5, 10, 1],
    ]);
    expect(events[0]).toMatchObject({ jobId: 'j', kind: 'reembed', message: 'start', etaSeconds: null });
    // 4 done in one second: 4/s, 6 left.
    expect(events[1]).toMatchObject({ rate: 4, etaSeconds: 1.5 });
    expect(events[2]!.etaSeconds).toBeNull();
  });
});
