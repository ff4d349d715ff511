/**
 * `lookalike find [--text WORDS] [--where CONDITIONS] [-k N] [--collection NAME]... [--json]`: items by product
 * data and free text alone (SQLite FTS5 over SKU, title, brand, category, file name and OCR text), best match
 * first. --json prints {"results": [{"path", "score", "collection", "product"?}]}.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { api } from '../../shared/api.js';
import { dispatch } from '../../shared/dispatch.js';
import { AppError } from '../../shared/errors.js';
import type { ItemFilter, ProductRecord } from '../../core/catalog/products.repo.js';
import type { CliContext } from '../context.js';
import { printable, roundScore } from '../format.js';
import { parseWhere, WHERE_HELP } from '../where.js';
import { describeProduct } from './search.command.js';

interface FindOpts {
  text?: string;
  where?: ItemFilter;
  top: number;
  collection?: string[];
  json?: boolean;
}

export function registerFindCommand(program: Command, ctx: CliContext): void {
  program
    .command('find')
    .description('find items by text (SKU, title, brand, category, file name, OCR text) and product filters')
    .option('--text <words>', 'every word must occur (the last one as a prefix)')
    .option('--where <conditions>', WHERE_HELP, parseWhere)
    .option('-k, --top <n>', 'results', parseCount, 50)
    .option('-c, --collection <name>', 'search only this collection (repeatable)', (v: string, p: string[] | undefined) => [...(p ?? []), v])
    .option('--json', 'print the results as one JSON object')
    .action(async (opts: FindOpts, command: Command) => {
      if (!opts.text && !opts.where) throw new InvalidArgumentError('give --text and/or --where.');
      await ctx.withEngine(command, async (engine) => {
        const ran = await dispatch(api, engine.localApi, 'search:byText', {
          filter: { ...opts.where, ...(opts.text ? { text: opts.text } : {}) },
          k: opts.top,
          ...(opts.collection ? { collections: opts.collection } : {}),
        });
        if (!ran.ok) throw new AppError(ran.error.code, ran.error.message);
        const hits = (ran.value as { hits: { path: string; score: number; collection: string; product?: ProductRecord | null }[] }).hits;
        if (opts.json) {
          ctx.out(
            JSON.stringify({
              results: hits.map((h) => ({ path: h.path, score: roundScore(h.score), collection: h.collection, ...(h.product ? { product: h.product } : {}) })),
            }),
          );
          return;
        }
        if (hits.length === 0) ctx.out('(no results)');
        hits.forEach((h, i) => ctx.out(`  ${String(i + 1).padStart(3)}  ${printable(h.collection)}  ${printable(h.path)}${describeProduct(h.product)}`));
      });
    });
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('expected an integer from 1 to 1000.');
  return n;
}
