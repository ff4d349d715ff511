/**
 * The broad near-duplicate generator (issue 16): the ten alterations of src/core/eval/alterations.ts plus the ones
 * merchandisers meet every day (small-angle and quarter-turn rotations without EXIF, the photo inside a shop-page
 * screenshot, tight crops, stretching, blur, noise, greyscale, tiny copies, a sale sticker, TIFF, AVIF and
 * combinations of two), and hard negatives that share a frame, a page template or a background with another
 * picture, or show the same product in another colour. Deterministic for a seed.
 */
import sharp from 'sharp';
import { ALTERATION_KINDS, alterImage, seededRandom, type AlterationKind } from '../../src/core/eval/alterations.js';

export const NEW_KINDS = [
  'rotate-small-fill',
  'rotate-small-crop',
  'rot90',
  'rot180',
  'rot270',
  'screenshot',
  'tight-crop',
  'stretch',
  'blur',
  'noise',
  'greyscale',
  'tiny',
  'sticker',
  'tiff',
  'avif',
  'rotate-small+jpeg',
  'tight-crop+greyscale',
  'screenshot+resize',
  'rot90+sticker',
] as const;

export type NewKind = (typeof NEW_KINDS)[number];
export type Kind = AlterationKind | NewKind;
export const ALL_KINDS: readonly Kind[] = [...ALTERATION_KINDS, ...NEW_KINDS];
export const isKnownKind = (k: string): k is AlterationKind => (ALTERATION_KINDS as readonly string[]).includes(k);

export const NEGATIVE_KINDS = ['same-template', 'same-background', 'colour-variant'] as const;
export type NegativeKind = (typeof NEGATIVE_KINDS)[number];

export interface Generated {
  ext: string;
  data: Buffer;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

async function upright(source: Buffer | string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(source).rotate().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Rotates by `degrees` (counter-clockwise as seen); `crop` keeps the largest upright rectangle of the same aspect. */
async function rotateSmall(img: { data: Buffer; width: number; height: number }, degrees: number, crop: boolean): Promise<Buffer> {
  // sharp rotates clockwise for positive angles.
  const rotated = await sharp(img.data).rotate(-degrees, { background: '#ffffff' }).toBuffer({ resolveWithObject: true });
  if (!crop) return rotated.data;
  const t = (Math.abs(degrees) * Math.PI) / 180;
  const { width: w, height: h } = img;
  // The largest axis-aligned rectangle of aspect w:h inside the rotated w×h picture.
  const k = Math.min(w / (w * Math.cos(t) + h * Math.sin(t)), h / (w * Math.sin(t) + h * Math.cos(t)));
  const cw = Math.floor(w * k * 0.98);
  const ch = Math.floor(h * k * 0.98);
  return sharp(rotated.data)
    .extract({ left: Math.floor((rotated.info.width - cw) / 2), top: Math.floor((rotated.info.height - ch) / 2), width: cw, height: ch })
    .toBuffer();
}

const TEMPLATES = [
  { bg: '#ffffff', header: '#232f3e', accent: '#ff9900', name: 'ShopMart', w: 1280, h: 800 },
  { bg: '#f4f4f4', header: '#e53238', accent: '#0064d2', name: 'bazaar.example', w: 1280, h: 800 },
  { bg: '#ffffff', header: '#2d2d2d', accent: '#2ea44f', name: 'Moda Store', w: 750, h: 1200 },
];

/** A shop page (header, navigation, title, price, button, other text) with `photo` in its product slot. */
export async function shopPage(photo: Buffer | string, template: number, text: { title: string; price: string }): Promise<Buffer> {
  const t = TEMPLATES[template % TEMPLATES.length]!;
  const img = await upright(photo);
  const portrait = t.w < t.h;
  const slot = portrait ? { x: 40, y: 150, w: t.w - 80, h: 620 } : { x: 60, y: 130, w: 560, h: 620 };
  const fitted = await sharp(img.data).resize(slot.w, slot.h, { fit: 'inside' }).toBuffer({ resolveWithObject: true });
  const px = slot.x + Math.floor((slot.w - fitted.info.width) / 2);
  const py = slot.y + Math.floor((slot.h - fitted.info.height) / 2);
  const tx = portrait ? 40 : 680;
  const ty = portrait ? 820 : 180;
  const lines = ['Free delivery from 49 €', 'In stock — ships in 1–2 days', 'Material: 100% cotton', 'Machine wash at 30°', 'Customers also bought'];
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${t.w}" height="${t.h}">` +
    `<rect width="100%" height="100%" fill="${t.bg}"/>` +
    `<rect width="100%" height="64" fill="${t.header}"/>` +
    `<text x="24" y="42" font-family="DejaVu Sans" font-size="26" font-weight="bold" fill="#ffffff">${esc(t.name)}</text>` +
    `<rect x="${portrait ? 220 : 300}" y="16" width="${portrait ? 480 : 620}" height="32" rx="4" fill="#ffffff"/>` +
    `<text x="${portrait ? 232 : 312}" y="38" font-family="DejaVu Sans" font-size="15" fill="#777">Search products…</text>` +
    `<text x="24" y="100" font-family="DejaVu Sans" font-size="15" fill="#555">Home › Women › Clothing › New in</text>` +
    `<text x="${tx}" y="${ty}" font-family="DejaVu Sans" font-size="28" fill="#111">${esc(text.title)}</text>` +
    `<text x="${tx}" y="${ty + 60}" font-family="DejaVu Sans" font-size="36" font-weight="bold" fill="#b12704">${esc(text.price)}</text>` +
    `<rect x="${tx}" y="${ty + 90}" width="260" height="52" rx="8" fill="${t.accent}"/>` +
    `<text x="${tx + 40}" y="${ty + 124}" font-family="DejaVu Sans" font-size="20" fill="#fff">Add to basket</text>` +
    lines.map((l, i) => `<text x="${tx}" y="${ty + 190 + i * 34}" font-family="DejaVu Sans" font-size="17" fill="#333">${esc(l)}</text>`).join('') +
    `<rect x="0" y="${t.h - 40}" width="100%" height="40" fill="#eaeded"/>` +
    `<text x="24" y="${t.h - 14}" font-family="DejaVu Sans" font-size="13" fill="#555">© ${esc(t.name)} · Terms · Privacy · Help</text>` +
    `</svg>`;
  return sharp(Buffer.from(svg))
    .composite([{ input: fitted.data, left: px, top: py }])
    .png()
    .toBuffer();
}

function stickerSvg(width: number, height: number, at: { x: number; y: number }): Buffer {
  const r = Math.round(Math.min(width, height) * 0.16);
  const cx = Math.round(width * at.x);
  const cy = Math.round(height * at.y);
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<circle cx="${cx}" cy="${cy}" r="${r}" fill="#e3001b"/>` +
      `<text x="${cx}" y="${cy + Math.round(r * 0.2)}" text-anchor="middle" font-family="DejaVu Sans" font-weight="bold" font-size="${Math.round(r * 0.6)}" fill="#fff">-30%</text>` +
      `<text x="${cx}" y="${cy + Math.round(r * 0.62)}" text-anchor="middle" font-family="DejaVu Sans" font-size="${Math.round(r * 0.28)}" fill="#fff">SALE</text>` +
      `</svg>`,
  );
}

async function noisy(data: Buffer, sigma: number, rand: () => number): Promise<Buffer> {
  const { data: raw, info } = await sharp(data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const out = Buffer.from(raw);
  for (let i = 0; i < out.length; i++) {
    // Box–Muller on the seeded PRNG.
    const g = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    out[i] = Math.max(0, Math.min(255, Math.round(raw[i]! + g * sigma)));
  }
  return sharp(out, { raw: { width: info.width, height: info.height, channels: info.channels } }).jpeg({ quality: 90 }).toBuffer();
}

const TITLES = ['Relaxed fit cotton shirt', 'Classic everyday dress', 'Slim stretch trousers', 'Summer collection item', 'Premium quality basic'];

/**
 * One altered copy of `source` of `kind`; `seed` fixes the random choices (angle, crop position, text).
 * @throws when sharp cannot decode the source.
 */
export async function generate(source: Buffer | string, kind: Kind, seed: number): Promise<Generated> {
  const rand = seededRandom(seed);
  if (isKnownKind(kind)) {
    const a = await alterImage(source, kind);
    return { ext: a.ext, data: a.data };
  }
  const img = await upright(source);
  const { width, height } = img;
  const angle = () => (2 + rand() * 13) * (rand() < 0.5 ? -1 : 1);
  const jpg = (s: ReturnType<typeof sharp>) => s.jpeg({ quality: 88 }).toBuffer();
  const tightCrop = async (data: Buffer) => {
    const cw = Math.round(width * (0.45 + rand() * 0.1));
    const ch = Math.round(height * (0.45 + rand() * 0.1));
    return sharp(data)
      .extract({ left: Math.floor(rand() * (width - cw)), top: Math.floor(rand() * (height - ch)), width: cw, height: ch })
      .toBuffer();
  };
  const page = () => shopPage(source, Math.floor(rand() * 3), { title: TITLES[Math.floor(rand() * TITLES.length)]!, price: `${(9 + rand() * 90).toFixed(2)} €` });
  switch (kind) {
    case 'rotate-small-fill':
      return { ext: 'jpg', data: await jpg(sharp(await rotateSmall(img, angle(), false))) };
    case 'rotate-small-crop':
      return { ext: 'jpg', data: await jpg(sharp(await rotateSmall(img, angle(), true))) };
    case 'rot90':
      return { ext: 'jpg', data: await jpg(sharp(img.data).rotate(90)) };
    case 'rot180':
      return { ext: 'jpg', data: await jpg(sharp(img.data).rotate(180)) };
    case 'rot270':
      return { ext: 'jpg', data: await jpg(sharp(img.data).rotate(270)) };
    case 'screenshot':
      return { ext: 'png', data: await page() };
    case 'tight-crop':
      return { ext: 'jpg', data: await jpg(sharp(await tightCrop(img.data))) };
    case 'stretch': {
      const f = 1.12 + rand() * 0.1;
      const [w, h] = rand() < 0.5 ? [Math.round(width * f), height] : [width, Math.round(height * f)];
      return { ext: 'jpg', data: await jpg(sharp(img.data).resize(w, h, { fit: 'fill' })) };
    }
    case 'blur':
      return { ext: 'jpg', data: await jpg(sharp(img.data).blur(1.5 + rand())) };
    case 'noise':
      return { ext: 'jpg', data: await noisy(img.data, 14, rand) };
    case 'greyscale':
      return { ext: 'jpg', data: await jpg(sharp(img.data).greyscale()) };
    case 'tiny':
      return { ext: 'jpg', data: await sharp(img.data).resize(96, 96, { fit: 'inside' }).jpeg({ quality: 85 }).toBuffer() };
    case 'sticker':
      return {
        ext: 'jpg',
        data: await jpg(sharp(img.data).composite([{ input: stickerSvg(width, height, { x: 0.2 + rand() * 0.6, y: rand() < 0.5 ? 0.2 : 0.8 }) }])),
      };
    case 'tiff':
      return { ext: 'tiff', data: await sharp(img.data).tiff({ compression: 'lzw' }).toBuffer() };
    case 'avif':
      return { ext: 'avif', data: await sharp(img.data).avif({ quality: 50, effort: 2 }).toBuffer() };
    case 'rotate-small+jpeg':
      return { ext: 'jpg', data: await sharp(await rotateSmall(img, angle(), true)).jpeg({ quality: 30 }).toBuffer() };
    case 'tight-crop+greyscale':
      return { ext: 'jpg', data: await jpg(sharp(await tightCrop(img.data)).greyscale()) };
    case 'screenshot+resize': {
      const p = await page();
      return { ext: 'jpg', data: await sharp(p).resize({ width: 700 }).jpeg({ quality: 80 }).toBuffer() };
    }
    case 'rot90+sticker': {
      const stickered = await sharp(img.data)
        .composite([{ input: stickerSvg(width, height, { x: 0.75, y: 0.2 }) }])
        .toBuffer();
      return { ext: 'jpg', data: await jpg(sharp(stickered).rotate(90)) };
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
}

/**
 * Two pictures that are NOT duplicates of each other although they share a lot: `a` and `b` are two different
 * product photos (for the colour variant, `b` is unused: the pair is `a` and its hue-shifted twin, expected
 * "similar"). `backdrop` is a third photo used as the shared background.
 */
export async function generateNegative(kind: NegativeKind, a: Buffer | string, b: Buffer | string, backdrop: Buffer | string, seed: number): Promise<[Generated, Generated]> {
  const rand = seededRandom(seed);
  switch (kind) {
    case 'same-template': {
      const template = Math.floor(rand() * 3);
      // The hardest case: the very same title and price around two different products.
      const text = { title: TITLES[Math.floor(rand() * TITLES.length)]!, price: `${(9 + rand() * 90).toFixed(2)} €` };
      return [
        { ext: 'png', data: await shopPage(a, template, text) },
        { ext: 'png', data: await shopPage(b, template, text) },
      ];
    }
    case 'same-background': {
      // The product photo in the middle of a shared, textured scene, faded in at its edges like an object on it.
      const scene = await sharp(backdrop).rotate().resize(640, 640, { fit: 'cover' }).toBuffer();
      const place = async (p: Buffer | string): Promise<Generated> => {
        const w = 340;
        const h = 400;
        const raw = await sharp(p).rotate().resize(w, h, { fit: 'cover' }).ensureAlpha().raw().toBuffer();
        const mask = Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs><radialGradient id="g"><stop offset="70%" stop-color="#fff"/><stop offset="100%" stop-color="#000"/></radialGradient></defs><ellipse cx="${w / 2}" cy="${h / 2}" rx="${w / 2}" ry="${h / 2}" fill="url(#g)"/></svg>`,
        );
        const alpha = await sharp(mask).resize(w, h, { fit: 'fill' }).greyscale().extractChannel(0).raw().toBuffer();
        for (let i = 0; i < w * h; i++) raw[i * 4 + 3] = alpha[i]!;
        const cut = await sharp(raw, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer();
        return { ext: 'jpg', data: await sharp(scene).composite([{ input: cut, left: 150, top: 130 }]).jpeg({ quality: 90 }).toBuffer() };
      };
      return [await place(a), await place(b)];
    }
    case 'colour-variant': {
      const hue = 90 + Math.floor(rand() * 180);
      const original = await sharp(a).rotate().jpeg({ quality: 92 }).toBuffer();
      return [
        { ext: 'jpg', data: original },
        { ext: 'jpg', data: await sharp(original).modulate({ hue }).jpeg({ quality: 90 }).toBuffer() },
      ];
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown negative ${String(never)}`);
    }
  }
}

/** Mean chroma of a photo (a colour variant of a grey garment is no colour variant at all). */
export async function meanChroma(source: string): Promise<number> {
  const { data } = await sharp(source).rotate().resize(48, 48, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let i = 0; i < data.length; i += 3) {
    const r = data[i]!;
    const g = data[i + 1]!;
    const b = data[i + 2]!;
    sum += Math.hypot(r - (g + b) / 2, (Math.sqrt(3) / 2) * (g - b));
  }
  return sum / (data.length / 3);
}
