/**
 * The ONNX writer: protobufjs (src/core/base/onnx/onnx-proto.ts) against the hand-written encoder it replaced
 * (bench/legacy/onnx-writer.ts), on the two built-in models' graphs and the run-time Gemm graphs of linalg.ts:
 * sha256 of both encodings (must be equal), the median encode time and the first call's (which includes
 * loading protobufjs and parsing the schema, paid once per process: linalg.ts's Gemm graphs, the model build).
 *
 *   npm run build:tools && node build/bench/onnx-writer.js [--runs 5]
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GraphBuilder, int } from '../src/core/base/onnx/graph-builder.js';
import { encodeModel, type OnnxModel } from '../src/core/base/onnx/onnx-proto.js';
import { BUILTIN_MODELS } from '../src/core/models/builtin-models.js';
import { builtinOnnxModel } from '../tools/models/convert-builtin.js';
import { findNsfwjs } from '../tools/models/nsfwjs-source.js';
import { readTfjsArtifacts } from '../tools/models/tfjs-artifacts.js';
import { encodeModel as encodeLegacy } from './legacy/onnx-writer.js';

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
  const models: [string, OnnxModel][] = [['linalg gemm', gemmModel()]];
  for (const config of BUILTIN_MODELS) {
    const artifacts = await readTfjsArtifacts(join(nsfwjs.modelsDir, config.sourceModel));
    models.push([config.id, builtinOnnxModel(config, artifacts, nsfwjs.version).model]);
  }
  for (const [name, model] of models) {
    const lib = time(encodeModel, model, runs);
    const legacy = time(encodeLegacy, model, runs);
    console.log(
      JSON.stringify({
        model: name,
        bytes: lib.bytes.length,
        identical: sha(lib.bytes) === sha(legacy.bytes),
        sha256: sha(lib.bytes).slice(0, 12),
        protobufjsMs: lib.ms,
        handWrittenMs: legacy.ms,
        firstCallMs: { protobufjs: lib.firstMs, handWritten: legacy.firstMs },
      }),
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
