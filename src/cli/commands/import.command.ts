/**
 * `lookalike import <file.csv> --collection NAME [--map sku=Col,title=Col,...] [--preview] [--json]`: imports
 * product data (sku, title, brand, category, price, currency, url, image) into a collection. Without --map the
 * columns are detected from common header names. The image column may hold file names, relative paths or globs,
 * several per cell (`|`, `;`, `,`) or one per repeated SKU row. Re-importing updates products in place.
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { api, PRODUCT_FIELDS } from '../../shared/api.js';
import { dispatch } from '../../shared/dispatch.js';
import { AppError } from '../../shared/errors.js';
import type { ImportCsvResult } from '../../core/products/csv-import.js';
import type { CliContext } from '../context.js';
import { printable } from '../format.js';

type Field = (typeof PRODUCT_FIELDS)[number];

interface ImportOpts {
  collection: string;
  map?: Partial<Record<Field, string>>;
  preview?: boolean;
  json?: boolean;
}

/** Shown per list in text output; --json carries everything. */
const LIST_LIMIT = 20;

export function registerImportCommand(program: Command, ctx: CliContext): void {
  program
    .command('import')
    .description('import product data (SKU, title, brand, category, price, currency, URL, images) from a CSV file')
    .argument('<file>', 'CSV file (UTF-8, with or without BOM; comma or semicolon separated)')
    .requiredOption('-c, --collection <name>', 'the collection whose images the CSV describes')
    .option('--map <field=column,...>', `columns for ${PRODUCT_FIELDS.join(', ')} (default: detected from the header)`, parseMap)
    .option('--preview', 'show the detected mapping and the first rows; write nothing')
    .option('--json', 'print the result as one JSON object')
    .action(async (file: string, opts: ImportOpts, command: Command) => {
      await ctx.withEngine(command, async (engine) => {
        const ran = await dispatch(api, engine.localApi, 'catalog:importCsv', {
          collection: opts.collection,
          source: { kind: 'path', path: resolve(ctx.io.cwd, file) },
          ...(opts.map ? { mapping: opts.map } : {}),
          preview: opts.preview ?? false,
        });
        if (!ran.ok) throw new AppError(ran.error.code, ran.error.message);
        const result = ran.value as ImportCsvResult;
        if (opts.json) {
          ctx.out(JSON.stringify(result));
          return;
        }
        ctx.out(`Columns (${result.delimiter === '\t' ? 'tab' : result.delimiter}-separated):`);
        for (const f of PRODUCT_FIELDS) ctx.out(`  ${f.padEnd(8)} ← ${printable(result.mapping[f] ?? '(none)')}`);
        if (!result.summary) {
          ctx.out(`First rows: ${printable(result.headers.join(' | '))}`);
          for (const r of result.sample) ctx.out(`  ${printable(r.join(' | '))}`);
          return;
        }
        const s = result.summary;
        ctx.out(
          `${s.rows} rows, ${s.products} products (${s.inserted} new, ${s.updated} updated), ${s.imagesLinked} images linked in ${printable(result.collection)}.`,
        );
        list(ctx, `Rows skipped (${s.skippedRows.length})`, s.skippedRows.map((r) => `row ${r.row}: ${r.reason}`));
        list(
          ctx,
          `Rows matching no image (${s.unmatchedRows.length})`,
          s.unmatchedRows.map((r) => `row ${r.row} ${r.sku}: ${r.missing.length > 0 ? `no file for ${r.missing.map((m) => `"${m}"`).join(', ')}` : 'no image given'}`),
        );
        list(ctx, `Images with no row (${s.unmatchedImages.length})`, s.unmatchedImages);
        list(ctx, `Images named by several SKUs (${s.conflicts.length})`, s.conflicts.map((c) => `${c.path}: ${c.skus.join(', ')}`));
      });
    });
}

function list(ctx: CliContext, title: string, lines: string[]): void {
  if (lines.length === 0) return;
  ctx.out(`${title}:`);
  for (const l of lines.slice(0, LIST_LIMIT)) ctx.out(`  ${printable(l)}`);
  if (lines.length > LIST_LIMIT) ctx.out(`  ... and ${lines.length - LIST_LIMIT} more (see --json)`);
}

function parseMap(value: string, previous: Partial<Record<Field, string>> | undefined): Partial<Record<Field, string>> {
  const out = { ...(previous ?? {}) };
  for (const pair of value.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const field = pair.slice(0, eq).trim().toLowerCase();
    const column = pair.slice(eq + 1).trim();
    if (eq < 0 || !(PRODUCT_FIELDS as readonly string[]).includes(field) || column === '') {
      throw new InvalidArgumentError(`expected field=column pairs, fields: ${PRODUCT_FIELDS.join(', ')}.`);
    }
    out[field as Field] = column;
  }
  return out;
}
