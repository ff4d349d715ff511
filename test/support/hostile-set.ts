/**
 * A folder of hostile and odd inputs for the indexer, generated (nothing to download): damaged and fake images,
 * a decompression bomb, odd formats and names, link loops, a link out of the folder, a FIFO and a sparse file
 * far past the size limit. Each file's expected outcome is part of the set, so tests and the RSS measurement
 * check the same thing.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, symlinkSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { ErrorCode } from '../../src/shared/errors.js';
import { scene } from './synthetic.js';

export interface HostileSet {
  root: string;
  /** A folder outside `root` that a link inside it points into. */
  outside: string;
  /** Files that must end up indexed. */
  indexed: string[];
  /** Files that must be recorded as failed, with the code. */
  failed: Map<string, ErrorCode>;
  /** Entries that must leave no row at all (skipped: a link loop, a FIFO). */
  skipped: string[];
}

/** A PNG whose header declares `width × height` RGB pixels but whose data is a few zero rows: a decompression bomb. */
export function pngBomb(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = deflateSync(Buffer.alloc((1 + width * 3) * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', rows),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Writes the hostile set under `dir` (created) and returns what each file must become. */
export async function writeHostileSet(dir: string, options: { validScenes?: number } = {}): Promise<HostileSet> {
  const root = join(dir, 'hostile');
  const outside = join(dir, 'outside');
  mkdirSync(join(root, 'loop'), { recursive: true });
  mkdirSync(join(root, 'folder.jpg'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  const indexed: string[] = [];
  const failed = new Map<string, ErrorCode>();
  const skipped: string[] = [];
  const put = async (name: string, bytes: Buffer | Promise<Buffer>) => {
    const path = join(root, name);
    writeFileSync(path, await bytes);
    return path;
  };
  const base = () => scene(77, 300, 200);

  for (let i = 0; i < (options.validScenes ?? 8); i++) indexed.push(await put(`valid-${i}.jpg`, scene(500 + i, 320, 240).jpeg().toBuffer()));
  const jpeg = await base().jpeg().toBuffer();
  failed.set(await put('truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2))), 'CORRUPT_IMAGE');
  failed.set(await put('empty.jpg', Buffer.alloc(0)), 'EMPTY_FILE');
  failed.set(await put('notes.jpg', Buffer.from('Shopping list: not an image.\n')), 'UNSUPPORTED_IMAGE');
  failed.set(await put('bomb-30000x30000.png', pngBomb(30_000, 30_000)), 'IMAGE_TOO_LARGE');
  indexed.push(await put('tiny-1x1.png', sharp({ create: { width: 1, height: 1, channels: 3, background: '#f00' } }).png().toBuffer()));
  indexed.push(await put('cmyk.jpg', base().toColourspace('cmyk').jpeg().toBuffer()));
  indexed.push(await put('gray-16bit.png', base().toColourspace('grey16').png().toBuffer()));
  indexed.push(await put('alpha.png', base().ensureAlpha(0.4).png().toBuffer()));
  const frames = await Promise.all([scene(78).png().toBuffer(), scene(79).png().toBuffer()]);
  indexed.push(await put('animated.gif', sharp(frames, { join: { animated: true } }).gif({ delay: [100, 100], loop: 0 }).toBuffer()));
  indexed.push(await put('name with spaces ünïcødé #1.jpg', scene(80).jpeg().toBuffer()));
  indexed.push(await put('%20#?&=;.png', scene(81).png().toBuffer()));
  indexed.push(await put(join('folder.jpg', 'inside a folder named like an image.jpg'), scene(82).jpeg().toBuffer()));

  // A folder link back up (a loop) and a file link to itself (ELOOP): both skipped, the walk ends.
  symlinkSync('..', join(root, 'loop', 'up'));
  symlinkSync('self-link.jpg', join(root, 'self-link.jpg'));
  skipped.push(join(root, 'self-link.jpg'));
  // A link to a real image outside the folder: refused unread.
  writeFileSync(join(outside, 'private.jpg'), await scene(83).jpeg().toBuffer());
  symlinkSync(join(outside, 'private.jpg'), join(root, 'link-out.jpg'));
  failed.set(join(root, 'link-out.jpg'), 'PATH_OUTSIDE_ROOTS');
  // A 600 MB sparse file: refused from its size, never read into memory.
  const fd = openSync(join(root, 'huge.jpg'), 'w');
  ftruncateSync(fd, 600 * 1024 * 1024);
  closeSync(fd);
  failed.set(join(root, 'huge.jpg'), 'IMAGE_TOO_LARGE');
  // A FIFO named like an image would block a reader forever; it is not a regular file, so it is never opened.
  if (process.platform !== 'win32') {
    try {
      execFileSync('mkfifo', [join(root, 'pipe.jpg')]);
      skipped.push(join(root, 'pipe.jpg'));
    } catch {
      // No mkfifo here: nothing to prove.
    }
  }
  return { root, outside, indexed, failed, skipped };
}
