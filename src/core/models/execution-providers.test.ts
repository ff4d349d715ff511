import type { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createSession, providerCandidates, type BackendInfo, type SessionFactory } from './execution-providers.js';

const linuxBackends: BackendInfo[] = [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
  { name: 'tensorrt', bundled: false },
];
const windowsBackends: BackendInfo[] = [
  { name: 'cpu', bundled: true },
  { name: 'dml', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
];
const macBackends: BackendInfo[] = [
  { name: 'cpu', bundled: true },
  { name: 'coreml', bundled: true },
];

describe('providerCandidates', () => {
  it('uses only the CPU when asked', () => {
    expect(providerCandidates('cpu', 'linux', linuxBackends, () => true)).toEqual(['cpu']);
  });

  it.each([
    ['linux', linuxBackends, true, ['cuda', 'cpu']],
    ['linux', linuxBackends, false, ['cpu']],
    ['win32', windowsBackends, true, ['cuda', 'dml', 'cpu']],
    ['win32', windowsBackends, false, ['dml', 'cpu']],
    ['darwin', macBackends, false, ['coreml', 'cpu']],
    ['freebsd', linuxBackends, true, ['cpu']],
  ] as const)('on %s (CUDA libraries installed: %s) tries %j', (platform, backends, cudaInstalled, expected) => {
    expect(providerCandidates('auto', platform, backends, () => cudaInstalled)).toEqual(expected);
    expect(providerCandidates('gpu', platform, backends, () => cudaInstalled)).toEqual(expected);
  });

  it('never tries a provider the runtime does not list (and never WebGPU)', () => {
    expect(providerCandidates('auto', 'win32', [{ name: 'cpu', bundled: true }, { name: 'webgpu', bundled: true }])).toEqual(['cpu']);
  });
});

function recorder() {
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => lines.push({ level, msg, ...(fields ? { fields } : {}) });
  return { lines, logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } };
}

const fakeSession = { inputNames: [] } as unknown as InferenceSession;

function factory(failing: readonly string[]): { create: SessionFactory; tried: string[] } {
  const tried: string[] = [];
  const create: SessionFactory = async (_bytes, options) => {
    const first = options.executionProviders?.[0];
    const name = typeof first === 'string' ? first : 'unknown';
    tried.push(name);
    if (failing.includes(name)) throw new Error(`${name} failed to start\nstack…`);
    return fakeSession;
  };
  return { create, tried };
}

describe('createSession', () => {
  const base = { modelId: 'm', platform: 'win32' as const, listBackends: () => windowsBackends, providerInstalled: () => true };

  it('falls back past providers that fail and logs exactly one line naming the one in use', async () => {
    const { create, tried } = factory(['cuda']);
    const { lines, logger } = recorder();
    const result = await createSession(new Uint8Array(), { ...base, device: 'auto', logger, create });
    expect(result.provider).toBe('dml');
    expect(tried).toEqual(['cuda', 'dml']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'onnx execution provider: dml', fields: { skipped: { cuda: 'cuda failed to start' } } });
  });

  it('warns when a GPU was asked for but only the CPU started', async () => {
    const { create } = factory(['cuda', 'dml']);
    const { lines, logger } = recorder();
    const result = await createSession(new Uint8Array(), { ...base, device: 'gpu', logger, create });
    expect(result.provider).toBe('cpu');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('warn');
  });

  it('passes threads to the session and keeps CPU as the GPU provider’s fallback for unsupported ops', async () => {
    const seen: InferenceSession.SessionOptions[] = [];
    const { logger } = recorder();
    await createSession(new Uint8Array(), {
      ...base,
      device: 'auto',
      logger,
      intraOpThreads: 2,
      create: async (_b, options) => {
        seen.push(options);
        return fakeSession;
      },
    });
    expect(seen[0]).toMatchObject({ executionProviders: ['cuda', 'cpu'], intraOpNumThreads: 2 });
  });

  it('rethrows when even the CPU cannot load the model', async () => {
    const { create } = factory(['cpu']);
    const { logger } = recorder();
    await expect(createSession(new Uint8Array(), { ...base, device: 'cpu', logger, create })).rejects.toThrow(/cpu failed/);
  });
});
