/**
 * `lookalike eval <labeled-folder> [--model ID] [--near-dup N] [--kinds a,b] [--no-expand] [--json]`: indexes the
 * folder (one sub-folder per label) into a temporary data folder through the engine and reports category
 * retrieval (leave-one-out mAP@10, P@1, Recall@1/5/10), near-duplicate Recall@1 per alteration and throughput.
 * The user's own data folder is never touched.
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { AppError } from '../../shared/errors.js';
import { createLogger, type LogLevel } from '../../core/base/logger.js';
import { ALTERATION_KINDS, ALTERATION_LABELS, type AlterationKind } from '../../core/eval/alterations.js';
import { runEval, type EvalReport } from '../run-eval.js';
import { evalProductsFolder, evalQueriesAgainstCatalog, type SameProductReport } from '../same-product-eval.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { formatDuration, printable } from '../format.js';
import { createProgressRenderer } from '../progress.js';
import { EXIT_INTERRUPTED } from './index.command.js';

interface EvalOpts {
  products?: boolean;
  learn?: boolean;
  collection?: string;
  truth?: string;
  nearDup: number;
  kinds?: AlterationKind[];
  expand?: boolean;
  whitening?: boolean;
  keep?: string;
  json?: boolean;
}

export function registerEvalCommand(program: Command, ctx: CliContext): void {
  program
    .command('eval')
    .description('measure a model on a labeled folder (one sub-folder per label): retrieval, near-duplicates, speed')
    .argument('<folder>', 'labeled folder: each sub-folder is one label')
    .option('--near-dup <n>', 'originals for the near-duplicate test (0 skips it)', parseCount, 300)
    .option('--kinds <list>', `alterations to test (default all: ${ALTERATION_KINDS.join(',')})`, parseKinds)
    .option('--no-expand', 'search without query expansion (ablation)')
    .option('--no-whitening', 'keep raw vectors: do not learn the folder\'s whitening (ablation)')
    .option('--keep <dir>', 'index into this data folder and keep it (default: a temporary folder, deleted)')
    .option('--products', 'same product: <folder> holds one sub-folder per product, several photos each')
    .option('--learn', 'with --products: import the sub-folder names as SKUs and learn from them (optimistic)')
    .option('--collection <name>', 'same product: search this catalog collection of the data folder with the photos of <folder>')
    .option('--truth <csv>', 'with --collection: CSV of (query file relative to <folder>, expected SKU or catalog file)')
    .option('--json', 'print the report as one JSON object')
    .action(async (folder: string, opts: EvalOpts, command: Command) => {
      const g = command.optsWithGlobals() as GlobalOptions;
      const level: LogLevel = g.verbose ? 'debug' : g.quiet ? 'error' : 'warn';
      const controller = new AbortController();
      const stopListening = ctx.io.onInterrupt(() => controller.abort());
      const renderer = createProgressRenderer(ctx.io.stderr);
      const logger = createLogger({ level, sink: (line) => ctx.io.stderr.write(`${line}\n`) });
      const onStep = (message: string) => {
        renderer.finish();
        if (!g.quiet) ctx.err(printable(message));
      };
      if (opts.products || opts.collection !== undefined || opts.truth !== undefined) {
        if ((opts.collection === undefined) !== (opts.truth === undefined)) throw new AppError('INVALID_INPUT', '--collection and --truth go together.');
        if (opts.products && opts.collection !== undefined) throw new AppError('INVALID_INPUT', 'Use either --products or --collection with --truth, not both.');
        let same: SameProductReport;
        try {
          same = opts.collection !== undefined
            ? await ctx.withEngine(command, (engine) =>
                evalQueriesAgainstCatalog({ engine, collection: opts.collection!, queries: resolve(ctx.io.cwd, folder), truth: resolve(ctx.io.cwd, opts.truth!), signal: controller.signal, onStep }),
              )
            : await evalProductsFolder({
                folder: resolve(ctx.io.cwd, folder),
                ...(g.model ? { modelId: g.model } : {}),
                ...(g.device ? { device: g.device } : {}),
                ...(opts.learn ? { learn: true } : {}),
                logger,
                onProgress: (p) => renderer.update(p),
                onStep,
                signal: controller.signal,
              });
        } finally {
          renderer.finish();
          stopListening();
        }
        if (controller.signal.aborted) ctx.exitCode = EXIT_INTERRUPTED;
        if (opts.json) ctx.out(JSON.stringify(same));
        else for (const line of formatSameProduct(same)) ctx.out(line);
        return;
      }
      let report: EvalReport;
      try {
        report = await runEval({
          folder: resolve(ctx.io.cwd, folder),
          ...(g.model ? { modelId: g.model } : {}),
          ...(g.device ? { device: g.device } : {}),
          nearDuplicates: opts.nearDup,
          ...(opts.kinds ? { kinds: opts.kinds } : {}),
          // Commander sets expand = true by default for --no-expand; only an explicit --no-expand forces it off.
          ...(opts.expand === false ? { expand: false } : {}),
          ...(opts.whitening === false ? { whitening: { centerMin: Infinity, pcaMin: Infinity, regrow: 1.5, maxDim: 512, power: 0.25, sampleCap: 4096 } } : {}),
          ...(opts.keep ? { workDir: resolve(ctx.io.cwd, opts.keep) } : {}),
          logger: createLogger({ level, sink: (line) => ctx.io.stderr.write(`${line}\n`) }),
          onProgress: (p) => renderer.update(p),
          onStep: (message) => {
            renderer.finish();
            if (!g.quiet) ctx.err(printable(message));
          },
          signal: controller.signal,
        });
      } finally {
        renderer.finish();
        stopListening();
      }
      if (controller.signal.aborted) ctx.exitCode = EXIT_INTERRUPTED;
      if (opts.json) {
        ctx.out(JSON.stringify(report));
        return;
      }
      for (const line of formatReport(report)) ctx.out(line);
    });
}

/** The report as a small table, one metric per line. */
export function formatReport(r: EvalReport): string[] {
  const pct = (x: number) => x.toFixed(3);
  const t = r.model.transform;
  const lines = [
    `model        ${printable(r.model.id)} (${printable(r.model.embedderId)}, ${r.model.dim} dims, ${r.model.device})`,
    `vectors      ${t ? (t.kind === 'identity' ? 'raw' : t.kind === 'center' ? `centred (${t.samples} photos)` : t.kind === 'pca' ? `PCA-whitened to ${t.outputDim} dims (${t.samples} photos)` : `learned from product data (${t.kind === 'lda' ? 'LDA' : 'within-product whitening'}, ${t.outputDim} dims, ${t.samples} photos)`) : 'none'}`,
    `dataset      ${r.dataset.images} images, ${Object.keys(r.dataset.labels).length} labels, ${r.dataset.failed} failed (${printable(r.dataset.folder)})`,
    '',
    `retrieval    leave-one-out, ${r.retrieval.queries} queries, query expansion ${r.retrieval.expand === 'auto' ? 'as the app does' : r.retrieval.expand ? 'on' : 'off'}`,
    `  mAP@10     ${pct(r.retrieval.mapAt10)}`,
    `  P@1        ${pct(r.retrieval.precisionAt1)}`,
    `  Recall@1   ${pct(r.retrieval.recallAt1)}`,
    `  Recall@5   ${pct(r.retrieval.recallAt5)}`,
    `  Recall@10  ${pct(r.retrieval.recallAt10)}`,
  ];
  if (r.nearDuplicate) {
    lines.push('', `near-duplicates  Recall@1, ${r.nearDuplicate.originals} originals per alteration among all ${r.dataset.images} images`);
    for (const [kind, v] of Object.entries(r.nearDuplicate.recallAt1)) {
      lines.push(`  ${kind.padEnd(10)} ${pct(v)}  ${ALTERATION_LABELS[kind as AlterationKind]}`);
    }
    lines.push(`  ${'mean'.padEnd(10)} ${pct(r.nearDuplicate.mean)}`);
  }
  lines.push(
    '',
    `throughput   indexing ${r.throughput.indexImagesPerSecond.toFixed(1)} images/s end to end (read, decode, embed, store); ` +
      `${formatDuration(r.throughput.indexSeconds)} including learning the whitening`,
  );
  if (r.throughput.queryImagesPerSecond !== null) lines.push(`             query embedding ${r.throughput.queryImagesPerSecond.toFixed(1)} images/s (inference only, batches of 16)`);
  lines.push(`total        ${formatDuration(r.seconds)}`);
  return lines;
}

/** The same-product report as a small table. */
export function formatSameProduct(r: SameProductReport): string[] {
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
  const t = r.model.transform;
  const v = r.verdicts;
  const lines = [
    `model        ${printable(r.model.id)} (${printable(r.model.embedderId)}), vectors ${t ? `${t.kind}${t.kind === 'identity' ? '' : ` ${t.outputDim} dims`}` : 'none'}`,
    `dataset      ${r.dataset.queries} queries, ${r.dataset.products} products, ${r.dataset.catalog} catalog photos` +
      (r.dataset.failed ? `, ${r.dataset.failed} failed` : '') +
      (r.dataset.unresolved ? `, ${r.dataset.unresolved} truths naming no catalog SKU or file` : ''),
    '',
    `same product ${r.mode === 'products' ? 'leave-one-out: each photo against all the others' : 'each query photo against the catalog collection'}`,
    `  Recall@1   ${pct(r.retrieval.recallAt1)}`,
    `  Recall@5   ${pct(r.retrieval.recallAt5)}`,
    `  mAP@10     ${pct(r.retrieval.mapAt10)}`,
    '',
  ];
  if (v.calibration === null) lines.push('verdicts     none: this model has no calibration (import product data to fit one)');
  else {
    lines.push(`verdicts     first hit, ${v.calibration === 'catalog' ? "calibrated on this folder's products" : 'built-in calibration'}`);
    lines.push(`  same       ${v.same.given} given, precision ${pct(v.same.precision)}, recall ${pct(v.same.recall)}`);
    lines.push(`  similar    ${v.similar.given} given, the right product in ${pct(v.similar.rightProduct)}`);
    lines.push(`  different  ${v.different}`);
  }
  lines.push(`total        ${formatDuration(r.seconds)}`);
  return lines;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 100_000) throw new InvalidArgumentError('expected an integer from 0 to 100000.');
  return n;
}

function parseKinds(value: string): AlterationKind[] {
  const kinds = value.split(',').map((k) => k.trim()).filter(Boolean);
  const unknown = kinds.filter((k) => !(ALTERATION_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0 || kinds.length === 0) throw new InvalidArgumentError(`unknown alteration(s) ${unknown.join(', ')}; known: ${ALTERATION_KINDS.join(', ')}`);
  return kinds as AlterationKind[];
}
