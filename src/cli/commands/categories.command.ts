/**
 * `lookalike categories suggest [--collection NAME]... [-k N] [--min-confidence C] [--json]` and
 * `lookalike categories accept [--collection NAME]... [--min-confidence 0.8]`: items without a category get the
 * one their nearest categorized neighbours vote for (similarity-weighted), with the winner's share as confidence.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { api } from '../../shared/api.js';
import { dispatch } from '../../shared/dispatch.js';
import { AppError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import { printable } from '../format.js';

interface CategoriesOpts {
  collection?: string[];
  neighbours: number;
  minConfidence?: number;
  json?: boolean;
}

interface Suggested {
  suggestions: { item: { path: string; collection: string }; category: string; confidence: number; votes: number }[];
  uncategorized: number;
}

export function registerCategoriesCommand(program: Command, ctx: CliContext): void {
  const categories = program.command('categories').description('suggest categories for uncategorized items, and accept them');
  const common = (c: Command) =>
    c
      .option('-c, --collection <name>', 'only this collection (repeatable)', (v: string, p: string[] | undefined) => [...(p ?? []), v])
      .option('-k, --neighbours <n>', 'categorized neighbours that vote', parseCount, 10);
  common(categories.command('suggest').description('list a category suggestion, with its confidence, for each item without one'))
    .option('--min-confidence <c>', 'only suggestions at least this confident (0..1)', parseConfidence)
    .option('--json', 'print the suggestions as one JSON object')
    .action(async (opts: CategoriesOpts, command: Command) => {
      await ctx.withEngine(command, async (engine) => {
        const ran = await dispatch(api, engine.api, 'categories:suggest', {
          ...(opts.collection ? { collections: opts.collection } : {}),
          k: opts.neighbours,
          minConfidence: opts.minConfidence ?? 0,
        });
        if (!ran.ok) throw new AppError(ran.error.code, ran.error.message);
        const v = ran.value as Suggested;
        if (opts.json) {
          ctx.out(
            JSON.stringify({
              uncategorized: v.uncategorized,
              suggestions: v.suggestions.map((s) => ({
                path: s.item.path,
                collection: s.item.collection,
                category: s.category,
                confidence: Math.round(s.confidence * 1e4) / 1e4,
                votes: s.votes,
              })),
            }),
          );
          return;
        }
        for (const s of v.suggestions) ctx.out(`  ${s.confidence.toFixed(2)}  ${printable(s.category).padEnd(16)}  ${printable(s.item.path)}`);
        ctx.out(`${v.suggestions.length} suggestions for ${v.uncategorized} items without a category.`);
      });
    });
  common(categories.command('accept').description('accept the suggestions at or above a confidence'))
    .option('--min-confidence <c>', 'accept suggestions at least this confident (0..1)', parseConfidence, 0.8)
    .action(async (opts: CategoriesOpts, command: Command) => {
      await ctx.withEngine(command, async (engine) => {
        const ran = await dispatch(api, engine.api, 'categories:accept', {
          ...(opts.collection ? { collections: opts.collection } : {}),
          k: opts.neighbours,
          minConfidence: opts.minConfidence ?? 0.8,
        });
        if (!ran.ok) throw new AppError(ran.error.code, ran.error.message);
        const { accepted } = ran.value as { accepted: number };
        ctx.out(`Accepted ${accepted} categor${accepted === 1 ? 'y' : 'ies'} (confidence ≥ ${opts.minConfidence ?? 0.8}).`);
      });
    });
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('expected an integer from 1 to 100.');
  return n;
}

function parseConfidence(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number from 0 to 1.');
  return n;
}
