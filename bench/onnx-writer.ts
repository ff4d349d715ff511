/**
 * The ONNX writer (protobufjs, src/core/base/onnx/onnx-proto.ts) on the two built-in models' graphs and a run-time
 * Gemm graph of linalg.ts: the median encode time, the first call's (which includes loading protobufjs and parsing
 * the schema, paid once per process) and whether the bytes equal the built models' (models/<id>/model.json
 * sha256, from `npm run build:models`). At commit 95412ae this bench also ran the hand-written encoder that
 * protobufjs replaced on the same graphs (README, "Libraries weighed against hand-written code").
 *
 *   npm run build:models && node build/bench/onnx-writer.js [--runs 5]
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GraphBuilder, int } from '../src/core/base/onnx/graph-builder.js';
import { encodeModel, type OnnxModel } from '../src/core/base/onnx/onnx-proto.js';
import { builtinIds, readBuiltin } from '../tools/models/builtin-config.js';
import { MANIFEST_FILE } from '../src/core/models/manifest.js';
import { builtinModelsDir } from '../src/core/models/package-root.js';
import { builtinOnnxModel } from '../tools/models/convert-builtin.js';
import { findNsfwjs } from '../tools/models/nsfwjs-source.js';
import { readTfjsArtifacts } from '../tools/models/tfjs-artifacts.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(encode: (m: OnnxModel) => Uint8Array, model: OnnxModel, runs: number): { firstMs: number; ms: number; bytes: Uint8Array } {
  const first = performance.now();
  let bytes = encode(model); // the first call in the process also loads protobufjs and parses the schema
  const firstMs = Math.round((performance.now() - first) * 100) / 100;
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    bytes = encode(model);
    ms.push(performance.now() - t);
  }
  return { firstMs, ms: Math.round(median(ms) * 100) / 100, bytes };
}

function gemmModel(): OnnxModel {
  const g = new GraphBuilder('gemm_tn');
  g.input('a', 'float32', ['k', 'm']);
  g.input('b', 'float32', ['k', 'n']);
  g.node('Gemm', 'gemm', ['a', 'b'], 'c', [int('transA', 1)]);
  g.output('c', 'float32', ['m', 'n']);
  return { irVersion: 8, opsetVersion: 17, producerName: 'lookalike-linalg', producerVersion: '1', graph: g.build(), metadata: { b: '', a: 'x' } };
}

async function main(): Promise<void> {
  const runs = Number(args.runs);
  const nsfwjs = findNsfwjs();
  const models: [string, OnnxModel, string | undefined][] = [['linalg gemm', gemmModel(), undefined]];
  for (const id of await builtinIds()) {
    const { config } = await readBuiltin(id);
    const artifacts = await readTfjsArtifacts(join(nsfwjs.modelsDir, config.sourceModel));
    models.push([config.id, builtinOnnxModel(config, artifacts, nsfwjs.version).model, builtSha256(config.id)]);
  }
  for (const [name, model, built] of models) {
    const lib = time(encodeModel, model, runs);
    const hash = sha(lib.bytes);
    console.log(JSON.stringify({ model: name, bytes: lib.bytes.length, sha256: hash.slice(0, 12), sameAsBuilt: built === undefined ? null : built === hash, ms: lib.ms, firstCallMs: lib.firstMs }));
  }
}

/** The sha256 the built model's manifest records, or undefined when it is not built. */
function builtSha256(id: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(builtinModelsDir(), id, MANIFEST_FILE), 'utf8')) as { sha256?: string }).sha256;
  } catch {
    return undefined;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
