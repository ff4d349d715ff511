/**
 * `npm run build:models`: converts the built-in models into `<repo>/models/<id>/{model.onnx,model.json}`.
 * A build is skipped when `.build-stamp.json` records the same key: sha256 over the source files, the build
 * config, the converter version and the converter's own code. Output is byte-for-byte reproducible.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createLogger, type Logger } from '../../src/core/base/logger.js';
import { MANIFEST_FILE, MODEL_FILE, readManifest, serializeManifest } from '../../src/core/models/manifest.js';
import { builtinModelsDir } from '../../src/core/models/package-root.js';
import { BUILTIN_MODELS, type BuiltinModelConfig } from '../../src/core/models/builtin-models.js';
import { CONVERTER_VERSION, convertBuiltin } from './convert-builtin.js';
import { findNsfwjs } from './nsfwjs-source.js';
import { hashTfjsSources, readTfjsArtifacts } from './tfjs-artifacts.js';

export const STAMP_FILE = '.build-stamp.json';

export interface BuildModelsOptions {
  /** Default: `<repo>/models`. */
  outDir?: string;
  /** Default: every built-in model. */
  ids?: readonly string[];
  /** Rebuild even when the stamp matches. */
  force?: boolean;
  logger?: Logger;
}

export interface BuildOutcome {
  id: string;
  status: 'built' | 'cached';
  dir: string;
  sha256: string;
  bytes: number;
  seconds: number;
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Hash of the converter's own modules, so that a code change rebuilds even if CONVERTER_VERSION was not bumped. */
async function converterCodeHash(): Promise<string> {
  const here = dirname(fileURLToPath(import.meta.url));
  // The converter is this folder plus the ONNX graph writer it shares with the app (src/core/base/onnx).
  const dirs = [here, join(here, '..', '..', 'src', 'core', 'base', 'onnx')];
  const hash = createHash('sha256');
  for (const dir of dirs) {
    const files = (await readdir(dir)).filter((f) => /\.(js|ts)$/.test(f) && !/\.(test|d)\.ts$/.test(f)).sort();
    for (const f of files) hash.update(f).update('\0').update(await readFile(join(dir, f))).update('\0');
  }
  return hash.digest('hex');
}

/** Writes via a temporary sibling and a rename, so a crash never leaves a half-written model behind. */
async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

async function readStampKey(dir: string): Promise<string | undefined> {
  try {
    const stamp = JSON.parse(await readFile(join(dir, STAMP_FILE), 'utf8')) as { key?: unknown };
    return typeof stamp.key === 'string' ? stamp.key : undefined;
  } catch {
    return undefined;
  }
}

/** True when the folder holds a manifest whose sha256 matches the model file next to it. */
async function isIntact(dir: string): Promise<{ sha256: string; bytes: number } | undefined> {
  try {
    const manifest = await readManifest(join(dir, MANIFEST_FILE));
    const bytes = await readFile(join(dir, MODEL_FILE));
    return sha256(bytes) === manifest.sha256 ? { sha256: manifest.sha256, bytes: bytes.length } : undefined;
  } catch {
    return undefined;
  }
}

async function buildOne(config: BuiltinModelConfig, outDir: string, codeHash: string, force: boolean, logger: Logger): Promise<BuildOutcome> {
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 10) / 100;
  const nsfwjs = findNsfwjs();
  const sourceDir = join(nsfwjs.modelsDir, config.sourceModel);
  const sources = await hashTfjsSources(sourceDir);
  const key = sha256(JSON.stringify({ converter: CONVERTER_VERSION, code: codeHash, nsfwjs: nsfwjs.version, config, sources }));
  const dir = join(outDir, config.id);
  if (!force && (await readStampKey(dir)) === key) {
    const intact = await isIntact(dir);
    if (intact !== undefined) {
      logger.info(`model ${config.id} is up to date`, { dir });
      return { id: config.id, status: 'cached', dir, ...intact, seconds: seconds() };
    }
  }
  const { onnx, manifest, taps } = convertBuiltin(config, await readTfjsArtifacts(sourceDir), nsfwjs.version);
  await mkdir(dir, { recursive: true });
  await writeAtomic(join(dir, MODEL_FILE), onnx);
  await writeAtomic(join(dir, MANIFEST_FILE), serializeManifest(manifest));
  // The stamp goes last: an interrupted build is redone next time.
  await writeAtomic(join(dir, STAMP_FILE), `${JSON.stringify({ key, converter: CONVERTER_VERSION, sources }, null, 2)}\n`);
  logger.info(`built model ${config.id}`, {
    dir,
    bytes: onnx.length,
    dim: manifest.dim,
    taps: taps.map((t) => `${t.layer} ${t.channels}×${t.height}×${t.width}`),
  });
  return { id: config.id, status: 'built', dir, sha256: manifest.sha256, bytes: onnx.length, seconds: seconds() };
}

/**
 * Builds (or confirms up to date) the built-in models.
 * @throws Error when an id is unknown, nsfwjs is missing or a conversion fails.
 */
export async function buildModels(options: BuildModelsOptions = {}): Promise<BuildOutcome[]> {
  const logger = options.logger ?? createLogger();
  const outDir = options.outDir ?? builtinModelsDir();
  const ids = options.ids ?? BUILTIN_MODELS.map((m) => m.id);
  const codeHash = await converterCodeHash();
  const outcomes: BuildOutcome[] = [];
  for (const id of ids) {
    const config = BUILTIN_MODELS.find((m) => m.id === id);
    if (config === undefined) throw new Error(`unknown built-in model '${id}'; known: ${BUILTIN_MODELS.map((m) => m.id).join(', ')}`);
    outcomes.push(await buildOne(config, outDir, codeHash, options.force ?? false, logger));
  }
  return outcomes;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const ids = args.filter((a) => !a.startsWith('--'));
  buildModels({ force, ...(ids.length > 0 ? { ids } : {}) }).then(
    (outcomes) => {
      for (const o of outcomes) process.stdout.write(`${o.id}: ${o.status} (${(o.bytes / 1e6).toFixed(1)} MB, sha256 ${o.sha256.slice(0, 12)}…, ${o.seconds}s)\n`);
    },
    (err: unknown) => {
      process.stderr.write(`build:models failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
