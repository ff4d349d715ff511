/**
 * `npm run build:models`: converts each built-in model whose manifest is committed as `models/<id>/model.json`
 * into `models/<id>/model.onnx` (git-ignored). The manifest is the source (builtin-config.ts); the build checks
 * that the fields the conversion determines (output names and sizes, dim, sha256, bytes, source notes) are what
 * it produced, and fails if not: a committed manifest always names the exact bytes the app will verify on load.
 * After a deliberate change (a tap, a weight, the input size: bump `version` too), `--update-manifests` writes
 * the new derived fields into the committed manifest.
 * A build is skipped when `.build-stamp.json` records the same key: sha256 over the source files, the committed
 * manifest, the converter version and the converter's own code. Output is byte-for-byte reproducible.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createLogger, type Logger } from '../../src/core/base/logger.js';
import { MANIFEST_FILE, MODEL_FILE, readManifest, serializeManifest } from '../../src/core/models/manifest.js';
import { builtinModelsDir } from '../../src/core/models/package-root.js';
import { builtinIds, readBuiltin, type BuiltinSource } from './builtin-config.js';
import { CONVERTER_VERSION, convertBuiltin } from './convert-builtin.js';
import { findNsfwjs } from './nsfwjs-source.js';
import { hashTfjsSources, readTfjsArtifacts } from './tfjs-artifacts.js';

export const STAMP_FILE = '.build-stamp.json';

export interface BuildModelsOptions {
  /** Where the committed manifests are; default `<repo>/models`. */
  sourceDir?: string;
  /** Where model.onnx goes; default the source folder. Another folder also gets a copy of the manifest. */
  outDir?: string;
  /** Default: every built-in model (every folder of the source folder with a model.json). */
  ids?: readonly string[];
  /** Rebuild even when the stamp matches. */
  force?: boolean;
  /** Write what the conversion determines into the committed manifests instead of failing when it differs. */
  updateManifests?: boolean;
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

/** The manifest fields (dotted paths) where `a` and `b` differ. */
function differingFields(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => differingFields((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return a === b ? [] : [path || '(root)'];
}

interface BuildOneOptions {
  outDir: string;
  codeHash: string;
  force: boolean;
  updateManifests: boolean;
  logger: Logger;
}

async function buildOne(source: BuiltinSource, o: BuildOneOptions): Promise<BuildOutcome> {
  const { config } = source;
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 10) / 100;
  const nsfwjs = findNsfwjs();
  const sourceDir = join(nsfwjs.modelsDir, config.sourceModel);
  const sources = await hashTfjsSources(sourceDir);
  const committed = serializeManifest(source.manifest);
  const keyOf = (manifest: string) => sha256(JSON.stringify({ converter: CONVERTER_VERSION, code: o.codeHash, nsfwjs: nsfwjs.version, manifest, sources }));
  const key = keyOf(committed);
  const dir = join(o.outDir, config.id);
  const manifestPath = join(dir, MANIFEST_FILE);
  const copyManifest = resolve(manifestPath) !== resolve(source.path);
  if (!o.force && (await readStampKey(dir)) === key) {
    const intact = await isIntact(dir);
    if (intact !== undefined) {
      o.logger.info(`model ${config.id} is up to date`, { dir });
      return { id: config.id, status: 'cached', dir, ...intact, seconds: seconds() };
    }
  }
  const { onnx, manifest, taps } = convertBuiltin(config, await readTfjsArtifacts(sourceDir), nsfwjs.version);
  const produced = serializeManifest(manifest);
  if (produced !== committed) {
    const fields = differingFields(JSON.parse(committed), JSON.parse(produced));
    if (!o.updateManifests) {
      throw new Error(
        `${source.path} does not match what the build produces (${fields.join(', ')}). After a deliberate change to the ` +
          'model (bump its version too), run `npm run build:models -- --update-manifests` and commit the manifest.',
      );
    }
    await writeAtomic(source.path, produced);
    o.logger.info(`updated ${source.path}`, { fields });
  }
  await mkdir(dir, { recursive: true });
  await writeAtomic(join(dir, MODEL_FILE), onnx);
  if (copyManifest) await writeAtomic(manifestPath, produced);
  // The stamp goes last: an interrupted build is redone next time.
  await writeAtomic(join(dir, STAMP_FILE), `${JSON.stringify({ key: keyOf(produced), converter: CONVERTER_VERSION, sources }, null, 2)}\n`);
  o.logger.info(`built model ${config.id}`, {
    dir,
    bytes: onnx.length,
    dim: manifest.dim,
    taps: taps.map((t) => `${t.layer} ${t.channels}×${t.height}×${t.width}`),
  });
  return { id: config.id, status: 'built', dir, sha256: manifest.sha256, bytes: onnx.length, seconds: seconds() };
}

/**
 * Builds (or confirms up to date) the built-in models.
 * @throws Error when an id is unknown, nsfwjs is missing, a conversion fails or its result differs from the
 *   committed manifest (without `updateManifests`).
 */
export async function buildModels(options: BuildModelsOptions = {}): Promise<BuildOutcome[]> {
  const sourceDir = options.sourceDir ?? builtinModelsDir();
  const known = await builtinIds(sourceDir);
  const o: BuildOneOptions = {
    outDir: options.outDir ?? sourceDir,
    codeHash: await converterCodeHash(),
    force: options.force ?? false,
    updateManifests: options.updateManifests ?? false,
    logger: options.logger ?? createLogger(),
  };
  const outcomes: BuildOutcome[] = [];
  for (const id of options.ids ?? known) {
    if (!known.includes(id)) throw new Error(`unknown built-in model '${id}': no ${join(sourceDir, id, MANIFEST_FILE)}; known: ${known.join(', ')}`);
    outcomes.push(await buildOne(await readBuiltin(id, sourceDir), o));
  }
  return outcomes;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const updateManifests = args.includes('--update-manifests');
  const ids = args.filter((a) => !a.startsWith('--'));
  buildModels({ force, updateManifests, ...(ids.length > 0 ? { ids } : {}) }).then(
    (outcomes) => {
      for (const o of outcomes) process.stdout.write(`${o.id}: ${o.status} (${(o.bytes / 1e6).toFixed(1)} MB, sha256 ${o.sha256.slice(0, 12)}…, ${o.seconds}s)\n`);
    },
    (err: unknown) => {
      process.stderr.write(`build:models failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
