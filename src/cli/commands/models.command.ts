/**
 * `lookalike models [list] [--json]`: the built-in and added models, the data folder's own marked.
 * `lookalike models add <file.onnx> --manifest <model.json> [--replace]` (or `--url <https://…> --sha256 <hex>`
 * instead of the file): validates a model of one's own (shapes, a test inference) and registers it in the folder.
 * `lookalike models use <id>`: re-embeds every indexed photo with that model, then switches the folder to it
 * (Ctrl-C stops after the batch in flight; running it again resumes).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../../shared/errors.js';
import { downloadVerified } from '../../core/models/download.js';
import type { CliContext } from '../context.js';
import { formatDuration, printable } from '../format.js';
import { createProgressRenderer } from '../progress.js';
import { EXIT_INTERRUPTED } from './index.command.js';

export function registerModelsCommand(program: Command, ctx: CliContext): void {
  const models = program.command('models').description('list, add and switch the embedding models of the data folder');

  models
    .command('list', { isDefault: true })
    .description('list the models; * marks the data folder\'s')
    .option('--json', 'print one JSON object: {"active", "transform", "models": [...]}')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await ctx.withEngine(
        command,
        async (engine) => {
          const listing = await engine.api['models:list']({});
          if (opts.json) {
            ctx.out(JSON.stringify(listing));
            return;
          }
          for (const m of listing.models) {
            const flags = [m.builtin ? 'built-in' : 'added', ...(m.available ? [] : ['not built: npm run build:models']), ...(m.tta.flip ? ['flip TTA'] : []), ...(m.tta.zoomOut !== null ? [`zoom-out ${m.tta.zoomOut} TTA`] : [])];
            ctx.out(
              `${m.active ? '*' : ' '} ${printable(m.id).padEnd(16)} ${String(m.dim).padStart(5)} dims  ${m.input.width}×${m.input.height} ${m.input.resize}  ${printable(m.name)} (${flags.join(', ')})`,
            );
          }
          const t = listing.transform;
          if (t) {
            const what = t.kind === 'identity' ? 'raw vectors (the folder is too small to learn a whitening)' : t.kind === 'center'
                  ? `centred on the folder's mean (${t.samples} photos)`
                  : t.kind === 'pca'
                    ? `PCA-whitened to ${t.outputDim} dims (learned from ${t.samples} photos)`
                    : `learned from the product data: ${t.kind === 'lda' ? 'LDA' : 'within-product whitening'} to ${t.outputDim} dims (${t.samples} labelled photos)`;
            ctx.out(`vectors: ${what}`);
          }
        },
        { folderModel: true },
      );
    });

  models
    .command('add')
    .description('validate an ONNX model with its manifest (shapes, a test inference) and register it in the data folder')
    .argument('[file]', 'the .onnx file (or give --url and --sha256)')
    .requiredOption('--manifest <model.json>', 'the model manifest (id, input, outputs, fusion, dim, license, source)')
    .option('--url <url>', 'download the .onnx file from this https:// address instead (the only network access the app makes)')
    .option('--sha256 <hex>', 'the SHA-256 the download must have (required with --url)')
    .option('--replace', 'replace an added model with the same id')
    .option('--json', 'print the registered model as JSON')
    .action(async (file: string | undefined, opts: { manifest: string; url?: string; sha256?: string; replace?: boolean; json?: boolean }, command: Command) => {
      if ((file === undefined) === (opts.url === undefined)) throw new AppError('INVALID_INPUT', 'Give either the .onnx file or --url (with --sha256).');
      if (opts.url !== undefined && opts.sha256 === undefined) throw new AppError('INVALID_INPUT', '--url needs --sha256: a downloaded model is kept only when its checksum matches.');
      await ctx.withEngine(
        command,
        async (engine) => {
          const manifest = resolve(ctx.io.cwd, opts.manifest);
          let onnx = file === undefined ? undefined : resolve(ctx.io.cwd, file);
          let cleanup: (() => Promise<void>) | undefined;
          if (onnx === undefined) {
            ctx.err(`downloading ${opts.url} ...`);
            const downloaded = await downloadVerified(opts.url!, opts.sha256!);
            onnx = downloaded.path;
            cleanup = downloaded.cleanup;
          }
          try {
            const info = await engine.models.add(onnx, manifest, { ...(opts.replace ? { replace: true } : {}) });
            if (opts.json) ctx.out(JSON.stringify({ id: info.id, name: info.name, version: info.version, dim: info.dim, input: info.input, dir: info.dir }));
            else ctx.out(`added model ${printable(info.id)} (${info.dim} dims, ${info.input.width}×${info.input.height}); switch to it with \`lookalike models use ${printable(info.id)}\``);
          } finally {
            await cleanup?.();
          }
        },
        { folderModel: true },
      );
    });

  models
    .command('use')
    .description('re-embed every indexed photo with another model, then switch the data folder to it (resumable)')
    .argument('<id>', 'the model id (see `lookalike models`)')
    .option('--json', 'print the summary as one JSON object')
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      await ctx.withEngine(
        command,
        async (engine) => {
          const controller = new AbortController();
          let interrupts = 0;
          const stopListening = ctx.io.onInterrupt(() => {
            interrupts += 1;
            if (interrupts === 1) {
              ctx.err('Stopping after the current batch (what is done is kept; run the command again to resume)...');
              controller.abort();
            } else {
              process.exit(EXIT_INTERRUPTED);
            }
          });
          const renderer = createProgressRenderer(ctx.io.stderr);
          let summary;
          try {
            const handle = await engine.models.use(id, { signal: controller.signal, onProgress: (p) => renderer.update(p) });
            summary = await handle.done;
          } finally {
            renderer.finish();
            stopListening();
          }
          if (opts.json) ctx.out(JSON.stringify(summary));
          else if (summary.cancelled) {
            ctx.out(`cancelled: ${summary.embedded + summary.copied + summary.resumed} of ${summary.total} photos re-embedded so far; the folder still uses its old model. Run the command again to resume.`);
          } else {
            const rate = summary.embedded > 0 && summary.seconds > 0 ? `, ${(summary.embedded / summary.seconds).toFixed(1)} images/s` : '';
            ctx.out(
              `switched to ${printable(summary.modelId)}: ${summary.total} photos (${summary.embedded} embedded, ${summary.copied} identical copies, ` +
                `${summary.resumed} from an earlier run, ${summary.failed} failed) in ${formatDuration(summary.seconds)}${rate}`,
            );
          }
          if (summary.cancelled) ctx.exitCode = EXIT_INTERRUPTED;
        },
        { folderModel: true },
      );
    });
}
