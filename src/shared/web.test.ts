import { describe, expect, it } from 'vitest';
import { THUMB_SIZES, parseMediaPath, snapThumbSize, thumbPath } from './web.js';

const q = (s = '') => new URLSearchParams(s);

describe('media routes', () => {
  it('parses thumbnails and images by positive integer id', () => {
    expect(parseMediaPath('/thumb/12', q('size=256'))).toEqual({ kind: 'thumb', id: 12, size: 256 });
    expect(parseMediaPath('/thumb/12', q())).toEqual({ kind: 'thumb', id: 12, size: 256 });
    expect(parseMediaPath('/image/7', q())).toEqual({ kind: 'image', id: 7 });
  });

  it('snaps sizes to the cached set', () => {
    expect(parseMediaPath('/thumb/1', q('size=200'))).toMatchObject({ size: 256 });
    expect(snapThumbSize(1)).toBe(THUMB_SIZES[0]);
    expect(snapThumbSize(99_999)).toBe(THUMB_SIZES[THUMB_SIZES.length - 1]);
    expect(thumbPath(5, 300)).toBe('thumb/5?size=512');
  });

  it('rejects anything but digits', () => {
    for (const path of ['/thumb/0', '/thumb/-1', '/thumb/1.0', '/thumb/1e3', '/thumb/0x1', '/thumb/%31', '/thumb/1/', '/thumb/../1', '/thumb/12345678901234567', '/thumbs/1', '/image/', '/image/1/2']) {
      expect(parseMediaPath(path, q()), path).toBeNull();
    }
    for (const size of ['0', '-5', 'abc', '1.5', '99999', '1e3', '0x100', ' 256', '', '0256', '+256']) expect(parseMediaPath('/thumb/1', q(`size=${size}`)), size).toBeNull();
  });
});
