import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"\n;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

describe('layering (shared ← core ← cli | server | main)', () => {
  it('keeps the engine free of transports and Electron', () => {
    const bad: string[] = [];
    for (const file of sources(join(SRC, 'core'))) {
      for (const spec of imports(file)) {
        if (spec === 'electron' || /(^|\/)(cli|server|main|preload|renderer)\//.test(spec)) bad.push(`${relative(SRC, file)} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('keeps shared free of Node and Electron', () => {
    const bad: string[] = [];
    for (const file of sources(join(SRC, 'shared'))) {
      for (const spec of imports(file)) {
        if (spec.startsWith('node:') || spec === 'electron' || /(^|\/)(core|cli|server|main)\//.test(spec)) bad.push(`${relative(SRC, file)} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('keeps the transports apart: the server and Electron main import neither the CLI nor each other', () => {
    const bad: string[] = [];
    for (const [layer, others] of [
      ['server', /(^|\/)(cli|main)\//],
      ['main', /(^|\/)(cli|server)\//],
    ] as const) {
      for (const file of sources(join(SRC, layer))) {
        for (const spec of imports(file)) if (others.test(spec)) bad.push(`${relative(SRC, file)} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('loads ONNX Runtime only through core/base/onnx-runtime.ts (its telemetry must be off before a session starts)', () => {
    const bad = sources(SRC)
      .filter((f) => !f.endsWith('.test.ts') && relative(SRC, f) !== join('core', 'base', 'onnx-runtime.ts'))
      .filter((f) => /^\s*(import|export)\s+(?!type\b)[^;]*?from\s+['"]onnxruntime-node['"]|import\(\s*['"]onnxruntime-node['"]/m.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(bad).toEqual([]);
  });
});
