/** Renders index progress: a redrawn bar on a terminal, plain throttled lines when stderr is a pipe or a file. */
import { missingCase } from '../shared/errors.js';
import type { Progress } from '../shared/types.js';
import type { CliStream } from './context.js';
import { formatDuration } from './format.js';

export interface ProgressRenderer {
  update(p: Progress): void;
  /** Ends the bar's line (a no-op for plain lines). */
  finish(): void;
}

export function createProgressRenderer(stream: CliStream, options: { plainEveryMs?: number } = {}): ProgressRenderer {
  return stream.isTTY ? ttyRenderer(stream) : plainRenderer(stream, options.plainEveryMs ?? 5000);
}

function describe(p: Progress): string {
  switch (p.phase) {
    case 'scanning':
      return p.kind === 'reembed' ? (p.message ?? 'preparing the re-embed') : `scanning ${p.message ?? ''}: ${p.done} image files found`;
    case 'fingerprinting':
    case 'embedding': {
      const pct = p.total > 0 ? ` (${((100 * p.done) / p.total).toFixed(1)}%)` : '';
      const rate = p.rate > 0 ? `, ${p.rate.toFixed(1)} images/s` : '';
      const eta = p.etaSeconds !== null ? `, ETA ${formatDuration(p.etaSeconds)}` : '';
      const failed = p.failed > 0 ? `, ${p.failed} failed` : '';
      // A progressive run's two passes: duplicates can be listed once the first is done.
      const what = p.phase === 'fingerprinting' ? 'cataloguing (hashes, signatures)' : p.kind === 'reembed' ? 're-embedding' : 'indexing';
      return `${what} ${p.done}/${p.total}${pct}${rate}${eta}${failed}`;
    }
    case 'saving':
      return p.message ?? 'saving the vector index';
    case 'done':
      return 'done';
    case 'cancelled':
      return 'cancelled';
    case 'failed':
      return `failed: ${p.message ?? ''}`;
    default:
      return missingCase(p.phase);
  }
}

function ttyRenderer(stream: CliStream): ProgressRenderer {
  let open = false;
  return {
    update(p) {
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 70));
      const counted = p.phase === 'embedding' || p.phase === 'fingerprinting';
      const frac = counted && p.total > 0 ? p.done / p.total : p.phase === 'done' ? 1 : 0;
      const filled = Math.round(frac * width);
      const bar = counted ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : '';
      stream.write(`\r\x1b[2K${bar}${describe(p)}`);
      open = true;
    },
    finish() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}

function plainRenderer(stream: CliStream, everyMs: number): ProgressRenderer {
  let last = 0;
  let lastPhase: Progress['phase'] | undefined;
  return {
    update(p) {
      const now = Date.now();
      if (p.phase === lastPhase && now - last < everyMs) return;
      // 'done' and 'saving' add nothing to the summary that follows; empty counts say nothing yet.
      if (p.phase === 'done' || p.phase === 'saving') return;
      if ((p.phase === 'scanning' && p.done === 0) || ((p.phase === 'embedding' || p.phase === 'fingerprinting') && p.total === 0)) return;
      last = now;
      lastPhase = p.phase;
      stream.write(`${describe(p)}\n`);
    },
    finish() {},
  };
}
