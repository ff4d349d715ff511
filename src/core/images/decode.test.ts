import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ModelInputSpec } from '../models/embedder.js';
import { appendFileSync, closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { contentHash, decodeForFingerprint, decodeForIndex, decodeForModel, readFileSnapshot } from './decode.js';
import { computeSignature, signatureFromRaw } from './phash.js';
import { scene } from '../../../test/support/synthetic.js';

const spec: ModelInputSpec = { width: 8, height: 8, resize: 'squash' };

/** A w×h image whose left half is red and right half is blue. */
async function halves(w: number, h: number): Promise<Sharp> {
  const blue = await sharp({ create: { width: w / 2, height: h, channels: 3, background: '#0000ff' } }).png().toBuffer();
  return sharp({ create: { width: w, height: h, channels: 3, background: '#ff0000' } }).composite([{ input: blue, left: w / 2, top: 0 }]);
}

const px = (pixels: Buffer, x: number, y: number, width = spec.width) => [...pixels.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
const near = (a: number[], b: number[], tol = 40) => a.every((v, i) => Math.abs(v - b[i]!) <= tol);


/** A PNG whose header promises `side` × `side` RGB pixels while its data holds a hundred zero bytes. */
function bigHeaderPng(side: number): Buffer {
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(100))), chunk('IEND', Buffer.alloc(0))]);
}

describe('decodeForModel', () => {
  it('decodes every common format to packed RGB of the model size', async () => {
    const base = sharp({ create: { width: 40, height: 30, channels: 3, background: '#30a050' } });
    const encoded = {
      jpeg: await base.clone().jpeg().toBuffer(),
      png: await base.clone().png().toBuffer(),
      webp: await base.clone().webp().toBuffer(),
      avif: await base.clone().avif().toBuffer(),
      tiff: await base.clone().tiff().toBuffer(),
      gif: await base.clone().gif().toBuffer(),
    };
    for (const [format, bytes] of Object.entries(encoded)) {
      const d = await decodeForModel(bytes, spec);
      expect({ format: d.format, w: d.width, h: d.height, len: d.pixels.length }).toEqual({ format, w: 40, h: 30, len: 8 * 8 * 3 });
      expect(near(px(d.pixels, 4, 4), [0x30, 0xa0, 0x50])).toBe(true);
    }
  });

  it('applies EXIF orientation before measuring and cropping', async () => {
    // Stored 40×20 (red | blue), orientation 6 = display rotated 90° clockwise: 20×40, red on top.
    const bytes = await (await halves(40, 20)).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const d = await decodeForModel(bytes, spec);
    expect([d.width, d.height]).toEqual([20, 40]);
    expect(near(px(d.pixels, 4, 1), [255, 0, 0])).toBe(true);
    expect(near(px(d.pixels, 4, 6), [0, 0, 255])).toBe(true);
    const bottom = await decodeForModel(bytes, spec, { crop: { x: 0, y: 24, width: 20, height: 16 } });
    expect(near(px(bottom.pixels, 4, 4), [0, 0, 255])).toBe(true);
  });

  it('flattens alpha on white and converts CMYK, greyscale and 16-bit to 8-bit sRGB', async () => {
    const transparent = await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    expect(px((await decodeForModel(transparent, spec)).pixels, 3, 3)).toEqual([255, 255, 255]);

    const cmyk = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#ff8000' } }).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    expect(near(px((await decodeForModel(cmyk, spec)).pixels, 3, 3), [255, 128, 0], 50)).toBe(true);

    const grey = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#808080' } }).toColourspace('b-w').png().toBuffer();
    expect(near(px((await decodeForModel(grey, spec)).pixels, 3, 3), [128, 128, 128], 3)).toBe(true);

    const deep = await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 10, g: 200, b: 30, alpha: 0.5 } } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    expect(near(px((await decodeForModel(deep, spec)).pixels, 3, 3), [132, 227, 142], 3)).toBe(true);
  });

  it('fits by squash, centre crop or white padding', async () => {
    const wide = await (await halves(40, 10)).png().toBuffer();
    const padded = await decodeForModel(wide, { width: 8, height: 8, resize: 'pad' });
    expect(px(padded.pixels, 1, 0)).toEqual([255, 255, 255]);
    expect(near(px(padded.pixels, 1, 4), [255, 0, 0])).toBe(true);
    const cropped = await decodeForModel(wide, { width: 8, height: 8, resize: 'center-crop' });
    expect(near(px(cropped.pixels, 1, 0), [255, 0, 0])).toBe(true);
    expect(near(px(cropped.pixels, 6, 7), [0, 0, 255])).toBe(true);
  });

  it('classifies failures into codes', async () => {
    const jpeg = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 128, sigma: 30 } } }).jpeg().toBuffer();
    await expect(decodeForModel(Buffer.alloc(0), spec)).rejects.toMatchObject({ code: 'EMPTY_FILE' });
    await expect(decodeForModel(Buffer.from('hello, not an image'), spec)).rejects.toMatchObject({ code: 'UNSUPPORTED_IMAGE' });
    await expect(decodeForModel(jpeg.subarray(0, jpeg.length / 2), spec)).rejects.toMatchObject({ code: 'CORRUPT_IMAGE' });
    await expect(decodeForModel(jpeg, spec, { maxPixels: 100 * 100 })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: expect.stringContaining('The image is 200×200 (40,000 pixels), more than the limit of 10,000 pixels. To index it, raise the limit'),
    });
    await expect(decodeForIndex(jpeg, { width: 8, height: 8, resize: 'center-crop' }, { maxPixels: 100 * 100 })).rejects.toMatchObject({
      message: expect.stringContaining('more than the limit of 10,000 pixels'),
    });
    await expect(decodeForModel(jpeg, spec, { crop: { x: 150, y: 0, width: 100, height: 10 } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('says what a damaged image promised: a large header over a few bytes of data', async () => {
    const png = bigHeaderPng(9000);
    const said = /^The PNG image is damaged or cut short: its header says 9000 × 9000 pixels, but its \d+ bytes do not decode \(.+\)\.$/;
    await expect(decodeForModel(png, spec)).rejects.toMatchObject({ code: 'CORRUPT_IMAGE', message: expect.stringMatching(said) });
    await expect(decodeForIndex(png, { width: 8, height: 8, resize: 'center-crop' })).rejects.toMatchObject({ code: 'CORRUPT_IMAGE', message: expect.stringMatching(said) });
  });

  it('hashes content with SHA-256', () => {
    expect(contentHash(Buffer.from('abc')).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('readFileSnapshot', () => {
  it('returns the bytes with the size and mtime they belong to, and refuses what it must not read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lookalike-read-'));
    try {
      writeFileSync(join(dir, 'a.jpg'), 'abc');
      const snap = await readFileSnapshot(join(dir, 'a.jpg'));
      expect({ text: snap.bytes.toString(), size: snap.size }).toEqual({ text: 'abc', size: 3 });
      expect(snap.mtimeMs).toBeGreaterThan(0);
      const fd = openSync(join(dir, 'big.jpg'), 'w');
      ftruncateSync(fd, 2048);
      closeSync(fd);
      await expect(readFileSnapshot(join(dir, 'big.jpg'), { maxBytes: 1024 })).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
      await expect(readFileSnapshot(join(dir, 'missing.jpg'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(readFileSnapshot(dir)).rejects.toMatchObject({ code: 'INVALID_INPUT' });

      // A file that grows while it is read (a copy still arriving) is refused as changed, not half-read.
      const growing = join(dir, 'growing.jpg');
      const gfd = openSync(growing, 'w');
      ftruncateSync(gfd, 64 * 1024 * 1024);
      closeSync(gfd);
      let reading = true;
      const read = readFileSnapshot(growing, { maxBytes: 1 << 30 }).finally(() => (reading = false));
      const append = () => {
        if (!reading) return;
        appendFileSync(growing, 'x');
        setImmediate(append);
      };
      setImmediate(append);
      await expect(read).rejects.toMatchObject({ code: 'FILE_CHANGED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('decodeForIndex', () => {
  const model: ModelInputSpec = { width: 192, height: 192, resize: 'center-crop' };

  it('gives the model exactly what decodeForModel gives, for every shape, orientation and alpha', async () => {
    const cases: [string, Buffer][] = [];
    for (const [w, h] of [
      [400, 533],
      [533, 400],
      [400, 711],
      [641, 383],
      [192, 192],
      [100, 150],
      [1000, 1001],
    ] as const) {
      cases.push([`${w}x${h} jpeg`, await scene(w + h, w, h).jpeg().toBuffer()]);
    }
    cases.push(['exif 6', await (await halves(420, 300)).jpeg().withMetadata({ orientation: 6 }).toBuffer()]);
    cases.push(['png with alpha', await scene(5, 300, 451).ensureAlpha(0.5).png().toBuffer()]);
    for (const [name, bytes] of cases) {
      const expected = await decodeForModel(bytes, model);
      const got = await decodeForIndex(bytes, model);
      expect({ name, w: got.width, h: got.height, format: got.format }).toEqual({ name, w: expected.width, h: expected.height, format: expected.format });
      expect(got.pixels.equals(expected.pixels), name).toBe(true);
    }
  });

  it('hands over the upright picture only when it can stand in for the signature decode', async () => {
    const portrait = await decodeForIndex(await scene(1, 400, 533).jpeg().toBuffer(), model);
    expect(portrait.upright).toMatchObject({ width: 192, height: 256, channels: 3 });
    expect(portrait.upright!.data.length).toBe(192 * 256 * 3);
    // Enlarged (smaller than the model input), far longer than the signature's 256 px, or not a centre crop: none.
    expect((await decodeForIndex(await scene(2, 100, 150).jpeg().toBuffer(), model)).upright).toBeNull();
    expect((await decodeForIndex(await scene(3, 300, 1000).jpeg().toBuffer(), model)).upright).toBeNull();
    expect((await decodeForIndex(await scene(4, 400, 533).jpeg().toBuffer(), { ...model, resize: 'squash' })).upright).toBeNull();
  });

  it('classifies damaged and empty input like decodeForModel', async () => {
    await expect(decodeForIndex(Buffer.alloc(0), model)).rejects.toMatchObject({ code: 'EMPTY_FILE' });
    const jpeg = await scene(9, 300, 400).jpeg().toBuffer();
    await expect(decodeForIndex(jpeg.subarray(0, jpeg.length / 2), model)).rejects.toMatchObject({ code: 'CORRUPT_IMAGE' });
    await expect(decodeForIndex(Buffer.from('not an image at all'), model)).rejects.toMatchObject({ code: 'UNSUPPORTED_IMAGE' });
  });
});

describe('decodeForFingerprint', () => {
  it('gives the oriented size and format, and an upright picture of at most 256 px a side from which the signature matches the full decode', async () => {
    const bytes = await (await halves(800, 400)).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const f = await decodeForFingerprint(bytes);
    expect({ width: f.width, height: f.height, format: f.format }).toEqual({ width: 400, height: 800, format: 'jpeg' });
    expect([f.upright.width, f.upright.height, f.upright.channels]).toEqual([128, 256, 3]);
    // Oriented: red on top, blue below.
    const at = (x: number, y: number) => [...f.upright.data.subarray((y * f.upright.width + x) * 3, (y * f.upright.width + x) * 3 + 3)];
    expect(near(at(64, 20), [255, 0, 0])).toBe(true);
    expect(near(at(64, 236), [0, 0, 255])).toBe(true);
    // The same picture as the signature's own decode sees.
    const photo = await scene(5, 640, 480).jpeg().toBuffer();
    const own = await computeSignature(photo);
    const fromFingerprint = signatureFromRaw((await decodeForFingerprint(photo)).upright);
    const diff = own.thumb.reduce((s, v, i) => s + Math.abs(v - fromFingerprint.thumb[i]!), 0) / own.thumb.length;
    expect(diff).toBeLessThan(2);
  });

  it('never enlarges, and refuses and classifies like decodeForModel', async () => {
    const small = await decodeForFingerprint(await scene(6, 60, 40).png().toBuffer());
    expect([small.upright.width, small.upright.height, small.format]).toEqual([60, 40, 'png']);
    await expect(decodeForFingerprint(Buffer.alloc(0))).rejects.toMatchObject({ code: 'EMPTY_FILE' });
    const jpeg = await scene(9, 300, 400).jpeg().toBuffer();
    await expect(decodeForFingerprint(jpeg.subarray(0, jpeg.length / 2))).rejects.toMatchObject({ code: 'CORRUPT_IMAGE' });
    await expect(decodeForFingerprint(Buffer.from('not an image at all'))).rejects.toMatchObject({ code: 'UNSUPPORTED_IMAGE' });
    await expect(decodeForFingerprint(jpeg, { maxPixels: 1000 })).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
  });
});
