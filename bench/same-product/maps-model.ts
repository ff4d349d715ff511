/**
 * The `accurate` network with its taps left unpooled (mixed4/5/6 at 10×10×768, mixed8 at 4×4×1280 for a 192
 * input), built with the project's own converter. One inference then yields every pooling variant the bench
 * compares (centred GeM = the app's vectors exactly, flat GeM, R-MAC, CroW) and the activation maps that
 * localise the object (SCDA).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readBuiltin, type BuiltinModelConfig } from '../../tools/models/builtin-config.js';
import { convertBuiltin } from '../../tools/models/convert-builtin.js';
import { findNsfwjs } from '../../tools/models/nsfwjs-source.js';
import { readTfjsArtifacts } from '../../tools/models/tfjs-artifacts.js';
import ort from '../../src/core/base/onnx-runtime.js';
import type { InferenceSession } from '../../src/core/base/onnx-runtime.js';

export const MAP_TAPS = ['mixed4', 'mixed5', 'mixed6', 'mixed8'] as const;
export type MapTap = (typeof MAP_TAPS)[number];

export interface TapMap {
  c: number;
  h: number;
  w: number;
  /** c × h × w, channel-major, for one image. */
  data: Float32Array;
}

export type ImageMaps = Record<MapTap, TapMap>;

/** Builds (once) `<dir>/maps-<size>.onnx` and returns its path. */
export async function buildMapsModel(dir: string, size: number): Promise<string> {
  const path = join(dir, `maps-${size}.onnx`);
  if (existsSync(path)) return path;
  const accurate = (await readBuiltin('accurate')).config;
  const config: BuiltinModelConfig = {
    ...accurate,
    id: `maps-${size}`,
    inputSize: size,
    taps: MAP_TAPS.map((layer) => ({ layer, pooling: { kind: 'none' }, weight: 1 })),
  };
  const nsfwjs = findNsfwjs();
  const { onnx } = convertBuiltin(config, await readTfjsArtifacts(join(nsfwjs.modelsDir, config.sourceModel)), nsfwjs.version);
  await mkdir(dir, { recursive: true });
  await writeFile(`${path}.tmp`, onnx);
  const { rename } = await import('node:fs/promises');
  await rename(`${path}.tmp`, path);
  return path;
}

export interface MapsRunner {
  size: number;
  /** Runs `n` packed NCHW images (the app's x/255 scaling) and returns each image's maps. */
  run(input: Float32Array, n: number): Promise<ImageMaps[]>;
  close(): Promise<void>;
}

export async function openMapsRunner(path: string, size: number, threads = 2): Promise<MapsRunner> {
  const session: InferenceSession = await ort.InferenceSession.create(path, { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'] });
  return {
    size,
    async run(input, n) {
      const tensor = new ort.Tensor('float32', input.subarray(0, n * 3 * size * size), [n, 3, size, size]);
      const out = await session.run({ image: tensor });
      const result: ImageMaps[] = [];
      for (let i = 0; i < n; i++) {
        const maps = {} as ImageMaps;
        for (const tap of MAP_TAPS) {
          const t = out[`${tap}_map`];
          if (t === undefined || !(t.data instanceof Float32Array)) throw new Error(`output ${tap}_map missing`);
          const [, c, h, w] = t.dims as number[];
          const per = c! * h! * w!;
          maps[tap] = { c: c!, h: h!, w: w!, data: t.data.slice(i * per, (i + 1) * per) };
        }
        result.push(maps);
      }
      return result;
    },
    close: () => session.release(),
  };
}
