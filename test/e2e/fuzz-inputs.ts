/**
 * Random inputs for every contract entry, derived from its zod schema (as JSON Schema), so channels added later
 * are fuzzed without anyone writing a generator for them: mostly-valid values that reach the handlers, and
 * malformed ones (wrong types, missing keys, boundaries, prototype keys, huge and deeply nested values).
 */
import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';

export type Rng = () => number;

/** xorshift32: reproducible from the seed printed by the test. */
export function prng(seed: number): Rng {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
}

export interface FuzzContext {
  rng: Rng;
  /** Strings that fit a name pattern and may exist (collection names). */
  names: readonly string[];
  /** Paths worth trying (inside the library, outside it, odd ones); never a directory outside the sandbox. */
  paths: readonly string[];
  /** Small ids that exist in the catalog. */
  ids: readonly number[];
  /** Where a generated absolute path that happens to be a real folder is moved to. */
  sandbox: string;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

const ODD_STRINGS = ['', ' ', '\u0000', '../../../../etc/passwd', '%2e%2e%2f', '__proto__', 'constructor', '名前', '🙂'.repeat(50), 'a'.repeat(5000), '\\\\server\\share', 'C:\\Windows', '\n\r\t'];

function randomString(ctx: FuzzContext, s: JsonSchema): string {
  const { rng } = ctx;
  const r = rng();
  let out: string;
  if (s.pattern && r < 0.7) out = pick(rng, ctx.names);
  else if (r < 0.35) out = pick(rng, ctx.paths);
  else if (r < 0.55) out = pick(rng, ODD_STRINGS);
  else out = Array.from({ length: int(rng, 0, 40) }, () => String.fromCharCode(int(rng, 32, 0x2fff))).join('');
  return safePath(ctx, out);
}

/** A generated string must never name a real folder outside the sandbox (the engine would happily index `/`). */
function safePath(ctx: FuzzContext, s: string): string {
  try {
    if (s.startsWith('/') && !s.startsWith(ctx.sandbox) && existsSync(s) && statSync(s).isDirectory()) return `${ctx.sandbox}/not-there${s}`;
  } catch {
    // Not a path at all.
  }
  return s;
}

function randomNumber(ctx: FuzzContext, s: JsonSchema, integer: boolean): number {
  const { rng } = ctx;
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + (integer ? 1 : 1e-6) : -1e6);
  const hi = Math.min(s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - (integer ? 1 : 1e-6) : 1e6), 1e9);
  const r = rng();
  if (integer && ctx.ids.length > 0 && r < 0.4 && lo <= 1) return pick(rng, ctx.ids);
  if (r < 0.55) return lo;
  if (r < 0.65) return hi;
  const v = lo + rng() * (Math.max(hi, lo) - lo);
  return integer ? Math.round(v) : v;
}

/** A value that satisfies `s` most of the time (patterns come from `ctx.names`, not from the regex). */
export function validish(ctx: FuzzContext, s: JsonSchema, depth = 0): unknown {
  const { rng } = ctx;
  if (s.const !== undefined) return s.const;
  if (s.enum) return pick(rng, s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return validish(ctx, pick(rng, alternatives), depth + 1);
  const type = Array.isArray(s.type) ? pick(rng, s.type) : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(s.properties ?? {})) {
        if ((s.required ?? []).includes(key) || rng() < 0.5) out[key] = validish(ctx, prop, depth + 1);
      }
      return out;
    }
    case 'array': {
      const n = int(rng, s.minItems ?? 0, Math.min(s.maxItems ?? 6, (s.minItems ?? 0) + 6));
      return Array.from({ length: n }, () => validish(ctx, s.items ?? {}, depth + 1));
    }
    case 'string':
      return randomString(ctx, s);
    case 'integer':
      return randomNumber(ctx, s, true);
    case 'number':
      return randomNumber(ctx, s, false);
    case 'boolean':
      return rng() < 0.5;
    case 'null':
      return null;
    default:
      return junk(ctx, depth + 1);
  }
}

/** Any JSON-ish value at all. */
export function junk(ctx: FuzzContext, depth = 0): unknown {
  const { rng } = ctx;
  const r = rng();
  if (depth > 3 || r < 0.15) return pick(rng, [null, true, false, 0, -1, 1.5, 1e308, -0, 2 ** 53 + 2]);
  if (r < 0.4) return randomString(ctx, {});
  if (r < 0.55) return Array.from({ length: int(rng, 0, 4) }, () => junk(ctx, depth + 1));
  if (r < 0.62) return nested(int(rng, 50, 2000));
  const out: Record<string, unknown> = {};
  for (let i = int(rng, 0, 4); i > 0; i--) out[pick(rng, ['__proto__', 'constructor', 'prototype', 'image', 'kind', 'id', 'x', 'collection'])] = junk(ctx, depth + 1);
  return out;
}

function nested(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** A value derived from a valid one with one thing broken, or junk altogether. */
export function malformed(ctx: FuzzContext, s: JsonSchema): unknown {
  const { rng } = ctx;
  const base = validish(ctx, s);
  if (rng() < 0.25 || typeof base !== 'object' || base === null) return junk(ctx);
  const obj = structuredClone(base) as Record<string, unknown>;
  const keys = Object.keys(obj);
  const key = keys.length > 0 ? pick(rng, keys) : 'extra';
  switch (int(rng, 0, 5)) {
    case 0:
      delete obj[key];
      break;
    case 1:
      obj[key] = junk(ctx);
      break;
    case 2:
      obj[key] = pick(rng, [-1, 0, 1e21, 1.5, Number.MAX_SAFE_INTEGER + 2, '1', [], {}, null]);
      break;
    case 3: {
      // A literal own "__proto__" key, as JSON.parse creates it.
      const rest = JSON.stringify(obj).slice(1);
      return JSON.parse(`{"__proto__": {"polluted": true}${rest === '}' ? '' : ','} ${rest}`) as unknown;
    }
    case 4:
      obj[key] = 'x'.repeat(int(rng, 5000, 200_000));
      break;
    default:
      obj[`extra_${int(rng, 0, 99)}`] = junk(ctx);
  }
  return obj;
}

/** The JSON Schema of a contract entry's input. */
export function inputSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

/** Values only structured cloning (Electron IPC) can carry, never JSON. */
export function ipcOnly(rng: Rng): unknown {
  return pick(rng, [
    undefined,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -Infinity,
    10n ** 30n,
    new Date(0),
    new Map([['image', { kind: 'item', id: 1 }]]),
    new Set([1, 2]),
    new Uint8Array([1, 2, 3]),
    /re/g,
    Object.assign(Object.create(null) as object, { id: 1 }),
    // eslint-disable-next-line no-sparse-arrays
    [1, , 3],
    { image: { kind: 'item', id: Number.NaN } },
    { id: 1n },
    { k: Infinity, image: { kind: 'bytes', base64: new Uint8Array(10) } },
  ]);
}
