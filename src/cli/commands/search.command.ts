/**
 * `lookalike search <image...> [-k N] [--collection NAME]... [--min-score S] [--crop x,y,w,h] [--json]`.
 * With --json, one line per query: {"query": "<absolute path>", "results": [{"path", "score", "collection", "product"?}]}
 * (`product`: the imported product data, when the item has one). `--where` and `--text` restrict the candidates
 * (see ../where.ts for the syntax), which are then ranked by similarity.
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { api } from '../../shared/api.js';
import { dispatch } from '../../shared/dispatch.js';
import type { CropRect } from '../../shared/types.js';
import type { CliContext } from '../context.js';
import { printable, roundScore } from '../format.js';
import type { ItemFilter, ProductRecord } from '../../core/catalog/products.repo.js';
import { parseWhere, WHERE_HELP } from '../where.js';

interface SearchOpts {
  k: number;
  collection?: string[];
  minScore?: number;
  crop?: CropRect;
  json?: boolean;
  where?: ItemFilter;
  text?: string;
}

export function registerSearchCommand(program: Command, ctx: CliContext): void {
  program
    .command('search')
    .description('find the indexed images most similar to each query image')
    .argument('<images...>', 'query image files')
    .option('-k, --top <n>', 'results per query', parseCount, 10)
    .option('-c, --collection <name>', 'search only this collection (repeatable)', collect)
    .option('--min-score <s>', 'drop results with a cosine score below this (-1..1)', parseScore)
    .option('--crop <x,y,w,h>', 'use only this rectangle of each query (pixels of the EXIF-oriented image)', parseCrop)
    .option('--where <conditions>', WHERE_HELP, parseWhere)
    .option('--text <words>', 'only items whose SKU, title, brand, category, file name or OCR text hold every word')
    .option('--json', 'one JSON object per query and line')
    .action(async (images: string[], rawOpts: Omit<SearchOpts, 'k'> & { top: number }, command: Command) => {
      const opts: SearchOpts = { ...rawOpts, k: rawOpts.top };
      await ctx.withEngine(command, async (engine) => {
        // Checked once up front: an unknown collection fails the command with one line, not once per query.
        for (const name of opts.collection ?? []) engine.library.collection(name);
        let failures = 0;
        for (const image of images) {
          const path = resolve(ctx.io.cwd, image);
          // The shell's user may query with any file they can read (transports confine paths to the roots).
          const result = await dispatch(api, engine.localApi, 'search:byImage', {
            image: { kind: 'path', path },
            k: opts.k,
            ...(opts.crop ? { crop: opts.crop } : {}),
            ...(opts.minScore !== undefined ? { minScore: opts.minScore } : {}),
            ...(opts.collection ? { collections: opts.collection } : {}),
            ...(opts.where || opts.text ? { filter: { ...opts.where, ...(opts.text ? { text: opts.text } : {}) } } : {}),
          });
          if (!result.ok) {
            failures += 1;
            ctx.err(`lookalike: ${printable(path)}: ${printable(result.error.message)} (${result.error.code})`);
            if (opts.json) ctx.out(JSON.stringify({ query: path, results: [], error: result.error }));
            continue;
          }
          const hits = (
            result.value as {
              hits: {
                path: string;
                score: number;
                collection: string;
                product?: ProductRecord | null;
                verdict?: string | null;
                confidence?: number | null;
                copies?: { path: string }[];
              }[];
            }
          ).hits;
          // The calibrated verdict where the folder has one ("same 0.92": same product, 92% chance).
          const judged = (h: (typeof hits)[number]) =>
            h.verdict && h.confidence !== null && h.confidence !== undefined ? { verdict: h.verdict, confidence: Math.round(h.confidence * 1000) / 1000 } : {};
          if (opts.json) {
            ctx.out(
              JSON.stringify({
                query: path,
                results: hits.map((h) => ({
                  path: h.path,
                  score: roundScore(h.score),
                  ...judged(h),
                  collection: h.collection,
                  ...(h.product ? { product: h.product } : {}),
                  // Byte-identical files, listed with the one result they share (search:byImage groups them).
                  ...(h.copies?.length ? { copies: h.copies.map((c) => c.path) } : {}),
                })),
              }),
            );
            continue;
          }
          ctx.out(printable(path));
          if (hits.length === 0) ctx.out('  (no results)');
          hits.forEach((h, i) => {
            const j = judged(h);
            const verdict = j.verdict === undefined ? '' : `  ${j.verdict.padEnd(9)} ${String(Math.min(99, Math.round(100 * j.confidence))).padStart(2)}%`;
            ctx.out(`  ${String(i + 1).padStart(3)}  ${h.score.toFixed(4)}${verdict}  ${printable(h.collection)}  ${printable(h.path)}${describeProduct(h.product)}`);
            for (const c of h.copies ?? []) ctx.out(`         = ${printable(c.path)}`);
          });
        }
        if (failures > 0) ctx.exitCode = 1;
      });
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('expected an integer from 1 to 1000.');
  return n;
}

function parseScore(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < -1 || n > 1) throw new InvalidArgumentError('expected a number from -1 to 1.');
  return n;
}

function parseCrop(value: string): CropRect {
  const parts = value.split(',').map((p) => Number(p.trim()));
  const [x, y, width, height] = parts;
  if (
    parts.length !== 4 ||
    !parts.every((n) => Number.isInteger(n)) ||
    x! < 0 ||
    y! < 0 ||
    width! <= 0 ||
    height! <= 0
  ) {
    throw new InvalidArgumentError('expected x,y,width,height as non-negative integers (width and height > 0).');
  }
  return { x: x!, y: y!, width: width!, height: height! };
}

/** `  [SKU] title · brand · category · price currency` for text output; empty without a product. */
export function describeProduct(p: ProductRecord | null | undefined): string {
  if (!p) return '';
  const parts = [p.title, p.brand, p.category, p.price !== null ? `${p.price}${p.currency ? ` ${p.currency}` : ''}` : null].filter(Boolean);
  return printable(`  [${p.sku}]${parts.length > 0 ? ` ${parts.join(' · ')}` : ''}`);
}
