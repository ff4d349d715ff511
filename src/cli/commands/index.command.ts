/**
 * `lookalike index [folder...] [--collection NAME] [--ocr] [--[no-]regions] [--json]`: add folders to a collection and index it;
 * collections with OCR on (or all indexed ones with --ocr, which turns it on) then get their new images' text read.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../../shared/errors.js';
import type { OcrRunSummary } from '../../core/ocr/ocr.service.js';
import type { CliContext } from '../context.js';
import { formatDuration, printable } from '../format.js';
import { createProgressRenderer } from '../progress.js';
import { expandHome } from '../../core/base/home-path.js';

const MAX_LISTED_FAILURES = 20;
export const EXIT_INTERRUPTED = 130;

export function registerIndexCommand(program: Command, ctx: CliContext): void {
  program
    .command('index')
    .description('add folders to a collection and index new, changed, moved and deleted images (no folder: rescan)')
    .argument('[folders...]', 'folders to add to the collection (recursively)')
    .option('-c, --collection <name>', 'collection the folders belong to (default: "default"; rescan: all)')
    .option('--ocr', "turn OCR on for the collection(s) and read the images' text (see `lookalike ocr`)")
    .option('--regions', "turn product regions on for the collection(s): each photo's vector averages in its main object's crop (~1.45x the indexing time; see README)")
    .option('--no-regions', 'turn product regions off for the collection(s)')
    .option('--json', 'print the summary as one JSON object per collection')
    .action(async (folders: string[], opts: { collection?: string; ocr?: boolean; regions?: boolean; json?: boolean }, command: Command) => {
      await ctx.withEngine(command, async (engine) => {
        let names: string[] | undefined;
        if (folders.length > 0) {
          const collection = opts.collection ?? 'default';
          for (const folder of folders) await engine.api['library:addFolder']({ collection, path: resolve(ctx.io.cwd, expandHome(folder)) });
          names = [collection];
        } else if (opts.collection) {
          names = [opts.collection];
        } else if (engine.catalog.collections.list().length === 0) {
          throw new AppError('INVALID_INPUT', 'Nothing to index yet: give one or more folders, e.g. `lookalike index ~/Photos`.');
        }

        if (opts.regions !== undefined) for (const c of names ?? engine.catalog.collections.list().map((r) => r.name)) engine.library.setRegions(c, opts.regions);

        const controller = new AbortController();
        let interrupts = 0;
        const stopListening = ctx.io.onInterrupt(() => {
          interrupts += 1;
          if (interrupts === 1) {
            ctx.err('Stopping after the current batch (press Ctrl-C again to quit at once)...');
            controller.abort();
          } else {
            process.exit(EXIT_INTERRUPTED);
          }
        });
        const renderer = createProgressRenderer(ctx.io.stderr);
        let summaries;
        const ocrRuns = new Map<string, OcrRunSummary>();
        try {
          summaries = await engine.indexer.run(names, { signal: controller.signal, onProgress: (p) => renderer.update(p) });
          for (const s of summaries) {
            if (s.cancelled) continue;
            if (opts.ocr) engine.ocr.setEnabled(s.collection, true);
            if (engine.ocr.isEnabled(s.collection)) ocrRuns.set(s.collection, await engine.ocr.run(s.collection, { signal: controller.signal }));
          }
        } finally {
          renderer.finish();
          stopListening();
        }

        for (const s of summaries) {
          const failures = engine.library.errors(s.collection);
          if (opts.json) {
            const ocr = ocrRuns.get(s.collection);
            ctx.out(JSON.stringify({ ...s, errors: failures.map(({ path, code, reason }) => ({ path, code, reason })), ...(ocr ? { ocr } : {}) }));
            continue;
          }
          const rate = s.indexed > 0 && s.seconds > 0 ? `, ${(s.indexed / s.seconds).toFixed(1)} images/s` : '';
          ctx.out(
            `${printable(s.collection)}: ${s.indexed} indexed, ${s.unchanged} unchanged, ${s.moved} moved, ${s.removed} removed, ` +
              `${s.failed} failed in ${formatDuration(s.seconds)}${rate}${s.cancelled ? ' (cancelled: run again to resume)' : ''}`,
          );
          // A progressive run: when duplicates became listable, and what still waits for its embedding.
          if (s.fingerprintSeconds !== undefined) ctx.out(`  catalogued ${s.fingerprinted ?? 0} files first (duplicates listable after ${formatDuration(s.fingerprintSeconds)})`);
          if (s.pending) ctx.out(`  ${s.pending} catalogued, not embedded yet (\`lookalike dupes\` sees them; search does once a run finishes them)`);
          const ocr = ocrRuns.get(s.collection);
          if (ocr) ctx.out(`  OCR: ${ocr.processed} read (${ocr.withText} with text, ${ocr.failed} failed), ${ocr.skipped} already read`);
          for (const f of failures.slice(0, MAX_LISTED_FAILURES)) ctx.out(`  failed: ${printable(f.path)}: ${printable(f.reason)} (${f.code})`);
          if (failures.length > MAX_LISTED_FAILURES) {
            ctx.out(`  ... and ${failures.length - MAX_LISTED_FAILURES} more: see \`lookalike errors --collection ${printable(s.collection)}\``);
          }
        }
        if (summaries.some((s) => s.cancelled)) ctx.exitCode = EXIT_INTERRUPTED;
      });
    });
}
