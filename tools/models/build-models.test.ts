/**
 * The committed manifest is the built-in model's source: the build reads its configuration from it and refuses
 * to leave it naming other bytes than the ones it produced. Runs on the small `fast` model (about a second).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseManifest, type ModelManifest } from '../../src/core/models/manifest.js';
import { builtinModelsDir } from '../../src/core/models/package-root.js';
import { buildModels } from './build-models.js';
import { builtinConfig, builtinIds } from './builtin-config.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const committedPath = join(builtinModelsDir(), 'fast', 'model.json');

let root: string;
let source: string;
let out: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lookalike-build-models-'));
  source = join(root, 'source');
  out = join(root, 'out');
  await mkdir(join(source, 'fast'), { recursive: true });
  await copyFile(committedPath, join(source, 'fast', 'model.json'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function editSource(edit: (m: ModelManifest) => void): Promise<void> {
  const path = join(source, 'fast', 'model.json');
  const m = JSON.parse(await readFile(path, 'utf8')) as ModelManifest;
  edit(m);
  await writeFile(path, `${JSON.stringify(m, null, 2)}\n`);
}

describe('built-in models from their committed manifests', () => {
  it('lists the committed models', async () => {
    expect(await builtinIds()).toEqual(['accurate', 'fast']);
  });

  it('builds what the committed manifest names, and copies the manifest unchanged next to it', async () => {
    const [built] = await buildModels({ sourceDir: source, outDir: out, logger: quiet });
    const committed = JSON.parse(await readFile(committedPath, 'utf8')) as ModelManifest;
    expect(built).toMatchObject({ id: 'fast', status: 'built', sha256: committed.sha256, bytes: committed.bytes });
    expect(await readFile(join(out, 'fast', 'model.json'), 'utf8')).toBe(await readFile(committedPath, 'utf8'));
  });

  it('fails, naming the fields, when the manifest names other bytes than the build produces', async () => {
    await editSource((m) => {
      m.sha256 = '0'.repeat(64);
      m.outputs[0]!.dim += 1;
      m.dim += 1;
    });
    await expect(buildModels({ sourceDir: source, outDir: out, logger: quiet })).rejects.toThrow(
      /fast\/model\.json does not match what the build produces \(outputs\.0\.dim, dim, sha256\).*--update-manifests/,
    );
  });

  it('rebuilds a deliberate change, and records its new bytes with updateManifests', async () => {
    await editSource((m) => {
      m.version = '2.0.1';
      const pooling = m.outputs[1]!.pooling;
      if (pooling.kind === 'gem') pooling.center = 0.25;
    });
    await expect(buildModels({ sourceDir: source, outDir: out, logger: quiet })).rejects.toThrow(/\(sha256\)/);
    const [built] = await buildModels({ sourceDir: source, outDir: out, updateManifests: true, logger: quiet });
    const updated = JSON.parse(await readFile(join(source, 'fast', 'model.json'), 'utf8')) as ModelManifest;
    const committed = JSON.parse(await readFile(committedPath, 'utf8')) as ModelManifest;
    expect(updated.sha256).toBe(built?.sha256);
    expect(updated.sha256).not.toBe(committed.sha256);
    expect(updated.outputs[1]!.pooling).toEqual({ kind: 'gem', p: 3, eps: 1e-6, center: 0.25 });
    expect(updated.version).toBe('2.0.1');
    // Recorded: the next build agrees with the manifest.
    expect((await buildModels({ sourceDir: source, outDir: out, logger: quiet }))[0]?.status).toBe('cached');
  });

  it('refuses a manifest the converter cannot build, naming the field', async () => {
    const m = parseManifest(JSON.parse(await readFile(committedPath, 'utf8')), 'fast');
    expect(() => builtinConfig({ ...m, source: { ...m.source, name: 'nsfwjs/resnet' } }, 'fast')).toThrow(/fast: source\.name: must be one of nsfwjs\/inception_v3/);
    expect(() => builtinConfig({ ...m, input: { ...m.input, height: 160 } }, 'fast')).toThrow(/fast: input: the converter builds square inputs, not 192×160/);
    expect(() => builtinConfig({ ...m, outputs: [{ ...m.outputs[0]!, pooling: { kind: 'avg' } }] }, 'fast')).toThrow(/outputs\.0\.pooling\.kind/);
  });
});
