/**
 * `lookalike match --ours A --theirs B [-k N] [--one-to-one] [--csv FILE] [--json]`: for each item of our
 * collection, its best matches in theirs with a verdict (same | similar), then the items of each side without a
 * match. --json prints one line per item of ours: {"ours": "<path>", "matches": [{"path", "score", "verdict"}]}
 * (an item without a match has an empty list; the other side's gap list is in the CSV and the plain output).
 * --csv writes every match with the catalog's metadata and both gap lists (UTF-8 with BOM, for spreadsheets).
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { api, type ApiOutput } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import { dispatch } from '../../shared/dispatch.js';
import { matchCsv } from '../../core/match/match.service.js';
import type { CliContext } from '../context.js';
import { formatBytes, formatDuration, printable, roundScore } from '../format.js';

type MatchResult = ApiOutput<'match:run'>;

interface MatchOpts {
  ours: string;
  theirs: string;
  top: number;
  oneToOne?: boolean;
  csv?: string;
  json?: boolean;
}

export function registerMatchCommand(program: Command, ctx: CliContext): void {
  program
    .command('match')
    .description("match our collection against a competitor's: same photo / lookalike / missing, on both sides")
    .requiredOption('--ours <name>', 'our collection')
    .requiredOption('--theirs <name>', "the competitor's collection")
    .option('-k, --top <n>', 'matches per item of ours', parseCount, 5)
    .option('--one-to-one', 'match each item of theirs to at most one of ours (best pairs first)')
    .option('--csv <file>', 'also write the matches and both gap lists as CSV')
    .option('--json', 'one JSON object per item of ours and line')
    .action(async (opts: MatchOpts, command: Command) => {
      await ctx.withEngine(command, async (engine) => {
        const input = { ours: opts.ours, theirs: opts.theirs, k: opts.top, oneToOne: opts.oneToOne ?? false };
        const ran = await dispatch(api, engine.api, 'match:run', input);
        if (!ran.ok) throw new AppError(ran.error.code, ran.error.message);
        const result = ran.value as MatchResult;
        if (opts.csv) {
          const path = resolve(ctx.io.cwd, opts.csv);
          await writeFile(path, matchCsv(result), 'utf8').catch((err: unknown) => {
            throw new AppError('PERMISSION_DENIED', `Cannot write ${path}.`, { cause: err });
          });
        }
        if (opts.json) {
          for (const row of result.rows) {
            const matches = row.matches
              .filter((m) => m.decision !== 'rejected')
              .map((m) => ({
                path: m.item.path,
                score: roundScore(m.score),
                verdict: m.verdict,
                ...(m.confidence === null || m.confidence === undefined ? {} : { confidence: Math.round(m.confidence * 1000) / 1000 }),
                ...(m.item.product ? { product: m.item.product } : {}),
              }));
            ctx.out(JSON.stringify({ ours: row.ours.path, ...(row.ours.product ? { product: row.ours.product } : {}), matches }));
          }
          return;
        }
        printMatch(ctx, result);
      });
    });
}

function printMatch(ctx: CliContext, result: MatchResult): void {
  const meta = (i: { width: number | null; height: number | null; format: string | null; size: number }) =>
    `${i.width ?? '?'}×${i.height ?? '?'} ${i.format ?? '?'} ${formatBytes(i.size)}`;
  for (const row of result.rows) {
    const matches = row.matches.filter((m) => m.decision !== 'rejected');
    ctx.out(`${printable(row.ours.path)}  (${meta(row.ours)})`);
    if (matches.length === 0) ctx.out('  (no match)');
    for (const m of matches) {
      const decided = m.decision === 'accepted' ? ' [accepted]' : '';
      const chance = m.confidence === null || m.confidence === undefined ? '' : ` ${String(Math.min(99, Math.round(100 * m.confidence))).padStart(2)}%`;
      ctx.out(`  ${m.verdict.padEnd(7)}${chance}  ${m.score.toFixed(4)}  ${printable(m.item.path)}  (${meta(m.item)})${decided}`);
    }
  }
  ctx.out(`Ours without a match (${result.unmatchedOurs.length}):`);
  for (const i of result.unmatchedOurs) ctx.out(`  ${printable(i.path)}`);
  ctx.out(`Theirs without a match (${result.unmatchedTheirs.length}):`);
  for (const i of result.unmatchedTheirs) ctx.out(`  ${printable(i.path)}`);
  const t = result.thresholds;
  ctx.out(
    `${result.rows.length - result.unmatchedOurs.length} of ${result.rows.length} matched (same product); ` +
      (t.calibration
        ? `verdicts calibrated (${t.calibration.source}): same from ${Math.round(100 * t.calibration.same)}%, similar from ${Math.round(100 * t.calibration.similar)}% chance`
        : `thresholds same ≥ ${t.same.toFixed(4)} or a verified copy, similar ≥ ${t.similar.toFixed(4)} (${t.source})`) +
      ` (${t.modelId}); ${formatDuration(result.seconds)}`,
  );
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new InvalidArgumentError('expected an integer from 1 to 50.');
  return n;
}
