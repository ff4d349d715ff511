/**
 * `lookalike ocr --collection NAME [--enable | --disable] [--json]`: OCR is an optional indexing step, off by
 * default. --enable turns it on for the collection and reads its indexed images; without a flag, reads the images
 * not read yet (after `index` added some); --disable turns it off and forgets the text. The text joins
 * `lookalike find --text` ("photos containing this text").
 */
import { InvalidArgumentError, type Command } from 'commander';
import { api } from '../../shared/api.js';
import { dispatch } from '../../shared/dispatch.js';
import { AppError } from '../../shared/errors.js';
import type { OcrRunSummary } from '../../core/ocr/ocr.service.js';
import type { CliContext } from '../context.js';
import { formatDuration, printable } from '../format.js';

interface OcrOpts {
  collection: string;
  enable?: boolean;
  disable?: boolean;
  json?: boolean;
}

export function registerOcrCommand(program: Command, ctx: CliContext): void {
  program
    .command('ocr')
    .description('read the text in a collection\'s images (offline PP-OCR; off by default) for `find --text`')
    .requiredOption('-c, --collection <name>', 'the collection')
    .option('--enable', 'turn OCR on for the collection, then read its images')
    .option('--disable', 'turn OCR off for the collection and forget its text')
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: OcrOpts, command: Command) => {
      if (opts.enable && opts.disable) throw new InvalidArgumentError('give --enable or --disable, not both.');
      await ctx.withEngine(command, async (engine) => {
        if (opts.enable || opts.disable) {
          const set = await dispatch(api, engine.api, 'ocr:configure', { collection: opts.collection, enabled: Boolean(opts.enable) });
          if (!set.ok) throw new AppError(set.error.code, set.error.message);
          if (opts.disable) {
            if (opts.json) ctx.out(JSON.stringify(set.value));
            else ctx.out(`OCR is off for ${printable(opts.collection)}; its text was forgotten.`);
            return;
          }
        }
        const ran = await dispatch(api, engine.api, 'ocr:run', { collection: opts.collection });
        if (!ran.ok) throw new AppError(ran.error.code, ran.error.message);
        const s = ran.value as OcrRunSummary;
        if (opts.json) ctx.out(JSON.stringify(s));
        else {
          ctx.out(
            `Read ${s.processed} image${s.processed === 1 ? '' : 's'} of ${printable(s.collection)} (${s.withText} with text, ${s.failed} failed, ` +
              `${s.skipped} already read) in ${formatDuration(s.seconds)}.`,
          );
        }
        if (s.failed > 0) ctx.exitCode = 1;
      });
    });
}
