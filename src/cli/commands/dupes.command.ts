/**
 * `lookalike dupes [--collection NAME]... [--threshold T] [--keep RULES] [--prefer DIR]... [--json]
 *  [--apply trash|move:<dir>]`: duplicate groups with a suggested keeper; with --apply, the suggested removals
 * are moved to the OS trash or a folder (journalled; `lookalike undo` reverts them).
 * --json prints {"groups": [{"keeper": "<path>", "items": [{"path": "<absolute path>", "score": <s>, "reason": ...}]}]}
 * where items are the keeper's duplicates (the keeper itself is not among them), score is the detail agreement with
 * the keeper (0..1) and reason says why ({"codes": ["rotated", ...], "angle": 90}; null for a byte-identical file). With --apply and --json, the action's summary is printed instead.
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { api, KEEPER_RULES, type ApiOutput } from '../../shared/api.js';
import { AppError } from '../../shared/errors.js';
import { dispatch } from '../../shared/dispatch.js';
import { DEFAULT_KEEPER_RULES, type KeeperRule } from '../../core/dedupe/keeper.js';
import { reasonText } from '../../core/dedupe/reasons.js';
import type { CliContext } from '../context.js';
import { formatBytes, formatDuration, printable, roundScore } from '../format.js';

type ApplyOption = { kind: 'trash' } | { kind: 'move'; destination: string };
type DupesResult = ApiOutput<'dupes:list'>;
type ApplySummary = ApiOutput<'dupes:apply'>;

interface DupesOpts {
  collection?: string[];
  threshold?: number;
  keep?: KeeperRule[];
  prefer?: string[];
  json?: boolean;
  apply?: ApplyOption;
}

export function registerDupesCommand(program: Command, ctx: CliContext): void {
  program
    .command('dupes')
    .description('find exact and near-duplicate images, suggest which copy to keep, and optionally remove the others')
    .option('-c, --collection <name>', 'look only in this collection (repeatable; default: all)', collect)
    .option('-t, --threshold <t>', 'how much fine detail must line up for a near-duplicate, 0..1 (default 0.5)', parseThreshold)
    .option(
      '--keep <rules>',
      `keeper rules, first decisive, comma-separated, from: ${KEEPER_RULES.join(', ')} (default: ${DEFAULT_KEEPER_RULES.join(',')}); ` +
        'files under reference folders are always kept',
      parseRules,
    )
    .option('--prefer <dir>', 'folder whose copies the preferred-folder rule keeps (repeatable, first wins)', collect)
    .option('--apply <action>', 'apply the suggested removals: "trash" (OS trash) or "move:<dir>"', parseApply)
    .option('--json', 'print the groups (or, with --apply, the action) as one JSON object')
    .action(async (opts: DupesOpts, command: Command) => {
      await ctx.withEngine(command, async (engine) => {
        const listed = await dispatch(api, engine.api, 'dupes:list', {
          ...(opts.collection ? { collections: opts.collection } : {}),
          ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
          ...(opts.keep ? { keeperRules: opts.keep } : {}),
          ...(opts.prefer ? { preferredFolders: opts.prefer.map((p) => resolve(ctx.io.cwd, p)) } : {}),
        });
        if (!listed.ok) throw new AppError(listed.error.code, listed.error.message);
        const result = listed.value as DupesResult;
        if (!opts.apply) {
          if (opts.json) ctx.out(JSON.stringify(groupsJson(result)));
          else printGroups(ctx, result);
          return;
        }
        const ids = result.groups.flatMap((g) => g.items.filter((i) => i.role === 'remove').map((i) => i.id));
        if (ids.length === 0) {
          if (opts.json) ctx.out(JSON.stringify({ actionId: null, kind: opts.apply.kind, done: 0, bytes: 0, skipped: [] }));
          else ctx.out('Nothing to remove: no duplicate groups with removable copies.');
          return;
        }
        const input =
          opts.apply.kind === 'move'
            ? { action: 'move' as const, destination: resolve(ctx.io.cwd, opts.apply.destination), itemIds: ids }
            : { action: 'trash' as const, itemIds: ids };
        const applied = await dispatch(api, engine.api, 'dupes:apply', input);
        if (!applied.ok) throw new AppError(applied.error.code, applied.error.message);
        const summary = applied.value as ApplySummary;
        if (opts.json) ctx.out(JSON.stringify(summary));
        else {
          const where = opts.apply.kind === 'move' ? `to ${printable(resolve(ctx.io.cwd, opts.apply.destination))}` : 'to the trash';
          ctx.out(`Moved ${summary.done} file${summary.done === 1 ? '' : 's'} (${formatBytes(summary.bytes)}) ${where} (action ${summary.actionId}).`);
          for (const s of summary.skipped) ctx.out(`  skipped: ${printable(s.path)}: ${printable(s.reason)} (${s.code})`);
          ctx.out('Undo with `lookalike undo`.');
        }
        if (summary.skipped.length > 0) ctx.exitCode = 1;
      });
    });
}

function groupsJson(result: DupesResult): { groups: { keeper: string; items: { path: string; score: number; reason: unknown }[] }[] } {
  // `product` (imported product data) only where the item has one.
  const product = (i: { product?: unknown }) => (i.product ? { product: i.product } : {});
  return {
    groups: result.groups.map((g) => {
      const keeper = g.items.find((i) => i.role === 'keeper')!;
      return {
        keeper: keeper.path,
        ...(keeper.product ? { keeperProduct: keeper.product } : {}),
        items: g.items.filter((i) => i.role !== 'keeper').map((i) => ({ path: i.path, score: roundScore(i.score), reason: i.reason, ...product(i) })),
      };
    }),
  };
}

function printGroups(ctx: CliContext, result: DupesResult): void {
  const describe = (i: DupesResult['groups'][number]['items'][number]) =>
    `${i.width ?? '?'}×${i.height ?? '?'} ${i.format ?? '?'} ${formatBytes(i.size)}  ${new Date(i.mtimeMs).toISOString().slice(0, 10)}  ${printable(i.path)}`;
  result.groups.forEach((g, n) => {
    ctx.out(`group ${n + 1}: ${g.items.length} files, ${formatBytes(g.reclaimableBytes)} reclaimable`);
    for (const i of g.items) {
      const role = i.role === 'keeper' ? 'keep  ' : i.role === 'remove' ? 'remove' : 'ref   ';
      const score = i.role === 'keeper' ? '     ' : i.identical ? 'same ' : i.score.toFixed(2).padStart(5);
      ctx.out(`  ${role} ${score}  ${describe(i)}${i.reason ? `  (${reasonText(i.reason)})` : ''}`);
    }
  });
  const t = result.totals;
  ctx.out(
    `${t.groups} group${t.groups === 1 ? '' : 's'}, ${t.removable} file${t.removable === 1 ? '' : 's'} to remove, ` +
      `${formatBytes(t.reclaimableBytes)} reclaimable (${result.scanned} images, threshold ${result.threshold}, ${formatDuration(result.seconds)})`,
  );
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseThreshold(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError('expected a number greater than 0 and at most 1.');
  return n;
}

function parseRules(value: string): KeeperRule[] {
  const rules = value.split(',').map((r) => r.trim()).filter(Boolean);
  const bad = rules.find((r) => !(KEEPER_RULES as readonly string[]).includes(r));
  if (bad !== undefined || rules.length === 0) throw new InvalidArgumentError(`expected a comma-separated list of: ${KEEPER_RULES.join(', ')}.`);
  return rules as KeeperRule[];
}

function parseApply(value: string): ApplyOption {
  if (value === 'trash') return { kind: 'trash' };
  if (value.startsWith('move:') && value.length > 'move:'.length) return { kind: 'move', destination: value.slice('move:'.length) };
  throw new InvalidArgumentError('expected "trash" or "move:<folder>".');
}
