/**
 * Chooses where ONNX Runtime runs a model. 'auto' tries the platform's GPU providers that this onnxruntime-node
 * build lists and falls back to CPU; a provider that is listed but cannot start (CUDA libraries not installed,
 * no device) is skipped, so asking never fails on a machine without a GPU.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from '../base/onnx-runtime.js';
import type { InferenceSession } from '../base/onnx-runtime.js';
import type { Logger } from '../base/logger.js';

export type DeviceRequest = 'cpu' | 'gpu' | 'auto';
/** ONNX Runtime's names for the providers we use. */
export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'cpu';

export interface BackendInfo {
  name: string;
  bundled: boolean;
}

/** GPU providers worth trying per platform, best first. WebGPU is listed by the Linux build too but is experimental. */
const GPU_PROVIDERS: Partial<Record<NodeJS.Platform, ProviderName[]>> = {
  linux: ['cuda'],
  win32: ['cuda', 'dml'],
  darwin: ['coreml'],
};

/**
 * Whether a provider that onnxruntime-node lists as not bundled has its shared library installed next to the
 * binding (CUDA's comes from a separate install step). Checking first avoids ONNX Runtime printing a red
 * "failed to load library" line on every start of a machine without CUDA. Unknown layouts answer true
 * (just try).
 */
export function providerLibraryInstalled(name: string): boolean {
  if (name !== 'cuda') return true;
  try {
    const packageRoot = dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
    const binDir = join(packageRoot, 'bin', 'napi-v6', process.platform, process.arch);
    const file = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(binDir) ? existsSync(join(binDir, file)) : true;
  } catch {
    return true;
  }
}

/** The providers to try, in order; the list always ends with 'cpu'. */
export function providerCandidates(
  device: DeviceRequest,
  platform: NodeJS.Platform,
  backends: readonly BackendInfo[],
  installed: (name: string) => boolean = () => true,
): ProviderName[] {
  if (device === 'cpu') return ['cpu'];
  const usable = new Set(backends.filter((b) => b.bundled || installed(b.name)).map((b) => b.name));
  return [...(GPU_PROVIDERS[platform] ?? []).filter((p) => usable.has(p)), 'cpu'];
}

export type SessionFactory = (model: Uint8Array, options: InferenceSession.SessionOptions) => Promise<InferenceSession>;

export interface CreateSessionOptions {
  device: DeviceRequest;
  /** Used in the log line only. */
  modelId: string;
  intraOpThreads?: number;
  logger: Logger;
  /** Injection points for tests; default to the real runtime. */
  platform?: NodeJS.Platform;
  listBackends?: () => readonly BackendInfo[];
  providerInstalled?: (name: string) => boolean;
  create?: SessionFactory;
}

export interface ProviderSession {
  session: InferenceSession;
  provider: ProviderName;
}

function sessionOptions(provider: ProviderName, intraOpThreads: number | undefined): InferenceSession.SessionOptions {
  return {
    // CPU stays listed after a GPU provider so that ops the GPU provider lacks still run.
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    graphOptimizationLevel: 'all',
    ...(intraOpThreads === undefined ? {} : { intraOpNumThreads: intraOpThreads, interOpNumThreads: 1 }),
    // Idle intra-op threads sleep instead of spinning between parallel sections: while indexing, the cores they would
    // spin on are decoding the next images. On two busy cores, spinning made the index job use a third more CPU per
    // image (fast 12.5 against 7.8 ms, accurate 65 against 45 ms; `npm run bench -- pipeline`).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/**
 * Creates a session on the best provider that starts, logging one line that names it.
 * @throws the CPU provider's error when even CPU cannot load the model (the caller classifies it).
 */
export async function createSession(model: Uint8Array, options: CreateSessionOptions): Promise<ProviderSession> {
  const platform = options.platform ?? process.platform;
  const backends = (options.listBackends ?? ort.listSupportedBackends)();
  const create: SessionFactory = options.create ?? ((bytes, opts) => ort.InferenceSession.create(bytes, opts));
  const candidates = providerCandidates(options.device, platform, backends, options.providerInstalled ?? providerLibraryInstalled);
  const skipped: Record<string, string> = {};
  for (const provider of candidates) {
    try {
      const session = await create(model, sessionOptions(provider, options.intraOpThreads));
      const fields = { model: options.modelId, requested: options.device, ...(Object.keys(skipped).length > 0 ? { skipped } : {}) };
      if (options.device === 'gpu' && provider === 'cpu') options.logger.warn('no GPU execution provider could start; running on cpu', fields);
      else options.logger.info(`onnx execution provider: ${provider}`, fields);
      return { session, provider };
    } catch (err) {
      if (provider === 'cpu') throw err;
      skipped[provider] = (err as Error).message.split('\n')[0] ?? 'failed';
    }
  }
  throw new Error('unreachable: the candidate list always ends with cpu');
}
