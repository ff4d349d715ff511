import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentHash, decodeForModel } from './decode.js';
import { LocalFileDecoder, type DecodeSettings } from './file-decoder.js';
import { scene } from '../../../test/support/synthetic.js';

/** V8's collector, made callable from here (the test runner does not start node with --expose-gc). */
function exposedGc(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

const settings: DecodeSettings = { spec: { width: 192, height: 192, resize: 'center-crop' }, signatures: true, concurrency: 2 };

describe('LocalFileDecoder (what the decode worker runs)', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lookalike-file-decoder-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads and hashes, then decodes what it read into the model input and a signature', async () => {
    const bytes = await scene(3, 300, 400).jpeg().toBuffer();
    writeFileSync(join(dir, 'a.jpg'), bytes);
    writeFileSync(join(dir, 'empty.jpg'), '');
    const decoder = new LocalFileDecoder(settings);
    const read = await decoder.read(1, join(dir, 'a.jpg'), bytes.length);
    expect(read).toMatchObject({ size: bytes.length, hash: contentHash(bytes) });
    const { decoded, signature } = await decoder.decode(1);
    expect(decoded.pixels.equals((await decodeForModel(bytes, settings.spec)).pixels)).toBe(true);
    expect(signature?.thumb.length).toBe(64 * 64);
    // Decoding forgets the bytes; an empty file has no hash and nothing to decode.
    await expect(decoder.decode(1)).rejects.toThrow(/without a read/);
    expect((await decoder.read(2, join(dir, 'empty.jpg'), 0)).hash).toBeNull();
    await expect(decoder.read(3, join(dir, 'missing.jpg'), 10)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    writeFileSync(join(dir, 'bad.jpg'), bytes.subarray(0, bytes.length / 2));
    await decoder.read(4, join(dir, 'bad.jpg'), bytes.length / 2);
    await expect(decoder.decode(4)).rejects.toMatchObject({ code: 'CORRUPT_IMAGE' });
    await decoder.close();
  });

  it('holds at most its byte budget of read files until they are decoded or dropped', async () => {
    const bytes = await scene(4, 200, 200).jpeg().toBuffer();
    for (const i of [1, 2, 3]) writeFileSync(join(dir, `${i}.jpg`), bytes);
    const decoder = new LocalFileDecoder({ ...settings, maxHeldBytes: bytes.length * 2 });
    await decoder.read(1, join(dir, '1.jpg'), bytes.length);
    await decoder.read(2, join(dir, '2.jpg'), bytes.length);
    let third = false;
    const reading = decoder.read(3, join(dir, '3.jpg'), bytes.length).then((r) => ((third = true), r));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(third).toBe(false);
    decoder.drop(1);
    expect((await reading).size).toBe(bytes.length);
    await decoder.close();
  });

  it('holds one file over the budget at a time, also when the reads start together', async () => {
    const bytes = await scene(6, 200, 200).jpeg().toBuffer();
    for (const i of [1, 2, 3]) writeFileSync(join(dir, `${i}.jpg`), bytes);
    const decoder = new LocalFileDecoder({ ...settings, concurrency: 3, maxHeldBytes: bytes.length });
    const finished: number[] = [];
    const reads = [1, 2, 3].map((i) => decoder.read(i, join(dir, `${i}.jpg`), bytes.length).then(() => finished.push(i)));
    await reads[0];
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(finished).toEqual([1]);
    decoder.drop(1);
    await reads[1];
    decoder.drop(2);
    await reads[2];
    expect(finished).toEqual([1, 2, 3]);
    await decoder.close();
  });

  it('keeps nothing of a file whose decode failed while the failure is kept (a batch keeps it until committed)', async () => {
    const gc = exposedGc();
    const size = 8 * 1024 * 1024;
    writeFileSync(join(dir, 'zeros.jpg'), Buffer.alloc(size));
    const decoder = new LocalFileDecoder(settings);
    const failures: unknown[] = [];
    const held: WeakRef<ArrayBufferLike>[] = [];
    for (const id of [1, 2, 3]) {
      await decoder.read(id, join(dir, 'zeros.jpg'), size);
      held.push(new WeakRef(decoder['held'].get(id)!.bytes!.buffer));
      failures.push(await decoder.decode(id).catch((err: unknown) => err));
    }
    expect(failures).toMatchObject([{ code: 'UNSUPPORTED_IMAGE' }, { code: 'UNSUPPORTED_IMAGE' }, { code: 'UNSUPPORTED_IMAGE' }]);
    // A WeakRef's target survives the turn that made or read it.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(held.map((r) => r.deref() !== undefined)).toEqual([false, false, false]);
    await decoder.close();
  });

  it('refuses work that has not started once closed', async () => {
    const bytes = await scene(5, 200, 200).jpeg().toBuffer();
    for (const i of [1, 2]) writeFileSync(join(dir, `${i}.jpg`), bytes);
    const decoder = new LocalFileDecoder({ ...settings, maxHeldBytes: bytes.length });
    await decoder.read(1, join(dir, '1.jpg'), bytes.length);
    const waiting = decoder.read(2, join(dir, '2.jpg'), bytes.length);
    await decoder.close();
    await expect(waiting).rejects.toThrow(/closed/);
  });
});
