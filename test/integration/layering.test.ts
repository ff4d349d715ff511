/**
 * The layering lint (eslint.config.js) must catch what it promises: each planted import below is linted as if it
 * were a file at `path` in this repository, through the project's own config and resolver. The allowed cases keep
 * the check honest: a config that reported everything would fail them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../support/cli-process.js';

const eslint = new ESLint({ cwd: PACKAGE_ROOT });

async function findings(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${PACKAGE_ROOT}/${path}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

const reported: [string, string, string, RegExp][] = [
  ['a feature reaching up into the app (type only)', 'src/core/doctor/planted.ts', "import type { Engine } from '../app/engine.js';", /src:core:doctor may not import src:core:app/],
  ['base importing a feature', 'src/core/base/planted.ts', "import { openCatalog } from '../catalog/catalog.js';", /src:core:base may not import src:core:catalog/],
  ['two features on one floor (a cycle waiting to happen)', 'src/core/search/planted.ts', "import { DedupeService } from '../dedupe/dedupe.service.js';", /src:core:search may not import src:core:dedupe/],
  ['a capability importing a feature', 'src/core/vectors/planted.ts', "import { SearchService } from '../search/search.service.js';", /src:core:vectors may not import src:core:search/],
  ['the core importing a transport', 'src/core/app/planted.ts', "import { startServer } from '../../server/server.js';", /src:core:app may not import src:server/],
  ['the server importing the CLI', 'src/server/planted.ts', "import type { CliContext } from '../cli/context.js';", /src:server may not import src:cli/],
  ['the renderer importing the core', 'src/renderer/planted.ts', "import { createLogger } from '../core/base/logger';", /src:renderer may not import src:core:base/],
  ['shared importing the core', 'src/shared/planted.ts', "import { createLogger } from '../core/base/logger.js';", /src:shared may not import src:core:base/],
  ['shared importing a Node built-in', 'src/shared/planted.ts', "import { readFileSync } from 'node:fs';", /no-restricted-imports: .*no Node built-ins/],
  ['the core importing Electron', 'src/core/models/planted.ts', "import { app } from 'electron';", /no-restricted-imports: .*only src\/main and src\/preload/],
  ['product code importing a bench', 'src/core/search/planted.ts', "import { labelOf } from '../../../bench/bench-vectors.js';", /src:core:search may not import bench/],
  ['product code importing the build tools', 'src/core/models/planted.ts', "import { buildModels } from '../../../tools/models/build-models.js';", /src:core:models may not import tools/],
  ['product code importing test support', 'src/core/images/planted.ts', "import { scene } from '../../../test/support/synthetic.js';", /src:core:images may not import test:support/],
  ['ONNX Runtime loaded past its door', 'src/core/models/planted.ts', "import ort from 'onnxruntime-node';", /no-restricted-imports: .*onnx-runtime\.ts/],
  ['a dynamic import up', 'src/core/library/planted.ts', "export const load = () => import('../app/engine.js');", /src:core:library may not import src:core:app/],
  ['a re-export up', 'src/core/match/planted.ts', "export { createEngine } from '../app/engine.js';", /src:core:match may not import src:core:app/],
];

const allowed: [string, string, string][] = [
  ['a feature importing base, catalog and a lower feature', 'src/core/match/planted.ts', "import { nullLogger } from '../base/logger.js';\nimport type { Catalog } from '../catalog/catalog.js';\nimport { DedupeService } from '../dedupe/dedupe.service.js';"],
  ['the app importing features', 'src/core/app/planted.ts', "import { SearchService } from '../search/search.service.js';\nimport { runDoctor } from '../doctor/doctor.js';"],
  ['the CLI importing the app and the server', 'src/cli/planted.ts', "import { createEngine } from '../core/app/engine.js';\nimport { startServer } from '../server/server.js';"],
  ['the renderer importing the contract', 'src/renderer/planted.ts', "import { api } from '../shared/api';"],
  ['a unit test importing test support', 'src/core/images/planted.test.ts', "import { scene } from '../../../test/support/synthetic.js';"],
  ['a type-only import of ONNX Runtime', 'src/core/models/planted.ts', "import type { InferenceSession } from 'onnxruntime-node';"],
  ['the door itself', 'src/core/base/onnx-runtime.ts', "export * from 'onnxruntime-node';"],
  ['a bench importing src, tools and test support', 'bench/planted.ts', "import { createEngine } from '../src/core/app/engine.js';\nimport { buildModels } from '../tools/models/build-models.js';\nimport { scene } from '../test/support/synthetic.js';"],
];

describe('the layering lint', () => {
  it.each(reported)('reports %s', async (_what, path, code, expected) => {
    const found = await findings(path, code);
    expect(found.some((f) => expected.test(f)), found.join('\n') || '(nothing reported)').toBe(true);
  });

  it.each(allowed)('allows %s', async (_what, path, code) => {
    expect(await findings(path, code)).toEqual([]);
  });
});

/**
 * The README's floor picture, read back: floor number → the folders in its folder column. `core/x/` means
 * src/core/x; a bare `y/` after it on the same floor is a sibling (`core/jobs/  search/` → src/core/search).
 */
function readmeFloors(): Map<number, string[]> {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf('floor  folder');
  const [header, ...rows] = readme.slice(from, readme.indexOf('```', from)).split('\n');
  const column = header!.indexOf('what lives there');
  const out = new Map<number, string[]>();
  let floor = -1;
  let parent = '';
  for (const row of rows) {
    const number = /^\s*(\d+)\s/.exec(row);
    if (number) floor = Number(number[1]);
    if (row.includes('───') || row.trim().startsWith('–') || floor < 0) continue;
    for (const token of row.slice(0, column).trim().split(/\s+/).filter((t) => t.endsWith('/'))) {
      const path = token.replace(/\/$/, '');
      const explicit = path.includes('/') || ['bench', 'test', 'tools'].includes(path);
      const folder = explicit ? (path.startsWith('core/') ? `src/${path}` : path) : `${parent}/${path}`;
      if (explicit) parent = folder.slice(0, folder.lastIndexOf('/'));
      out.set(floor, [...(out.get(floor) ?? []), folder]);
    }
  }
  return out;
}

describe('the README', () => {
  it('draws the floors the lint enforces (eslint.config.js FLOORS), each folder on its floor', async () => {
    const { FLOORS } = (await import(join(PACKAGE_ROOT, 'eslint.config.js'))) as { FLOORS: { floor: number; folders: string[] }[] };
    const drawn = readmeFloors();
    const expected = new Map(FLOORS.map((f) => [f.floor, [...f.folders].sort()]));
    expect(new Map([...drawn].map(([k, v]) => [k, [...v].sort()]))).toEqual(expected);
  });
});
