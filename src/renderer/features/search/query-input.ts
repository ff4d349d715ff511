/**
 * Turns whatever the user gives us (a dropped OS file, an image dragged from a web page as bytes or a data
 * URL, a clipboard paste, a picked file) into a query the contract accepts. Remote URLs are refused: the app
 * is offline by design and never downloads.
 */
import { ClientError } from '../../lib/errors';

export interface QueryImage {
  query: { kind: 'bytes'; base64: string } | { kind: 'item'; id: number };
  /** What the query panel displays: an object URL for bytes, the media route for a catalog item. */
  previewUrl: string;
  label: string;
  /** Size of the image the engine crops (the original for catalog items), when known before display. */
  sourceSize: { width: number; height: number } | null;
}

/** The contract caps base64 at 70 MB, i.e. about 52 MB of image. */
export const MAX_QUERY_BYTES = 50 * 1024 * 1024;
const IMAGE_EXT = /\.(jpe?g|png|webp|gif|avif|bmp|tiff?|heic|heif)$/i;

function isImageFile(file: File): boolean {
  return file.type.startsWith('image/') || IMAGE_EXT.test(file.name);
}

function readBase64(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('read failed'));
    reader.readAsDataURL(blob);
  });
}

/** @throws ClientError UNSUPPORTED_IMAGE, EMPTY_FILE or IMAGE_TOO_LARGE. */
export async function fromBlob(blob: Blob, label: string): Promise<QueryImage> {
  if (blob.size === 0) throw new ClientError({ code: 'EMPTY_FILE', message: label });
  if (blob.size > MAX_QUERY_BYTES) throw new ClientError({ code: 'IMAGE_TOO_LARGE', message: label });
  return {
    query: { kind: 'bytes', base64: await readBase64(blob) },
    previewUrl: URL.createObjectURL(blob),
    label,
    sourceSize: null,
  };
}

export async function fromFile(file: File): Promise<QueryImage> {
  if (!isImageFile(file)) throw new ClientError({ code: 'UNSUPPORTED_IMAGE', message: file.name });
  return fromBlob(file, file.name);
}

/** Decodes a `data:image/...;base64,` URL without fetch (the CSP allows no data: connections). */
function dataUrlToBlob(url: string): Blob | null {
  const m = /^data:(image\/[\w.+-]+)(;[^,]*)?,(.*)$/is.exec(url);
  if (!m) return null;
  const isBase64 = (m[2] ?? '').includes(';base64');
  const payload = m[3] ?? '';
  const binary = isBase64 ? atob(payload) : decodeURIComponent(payload);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new Blob([bytes], { type: m[1] });
}

/** The image URL a web page put on the drag: its uri-list, or the `src` of the `<img>` in its HTML. */
function draggedImageUrl(dt: DataTransfer): string | null {
  const uri = dt
    .getData('text/uri-list')
    .split(/\r?\n/)
    .find((line) => line && !line.startsWith('#'));
  if (uri) return uri.trim();
  const html = dt.getData('text/html');
  if (html) {
    const img = new DOMParser().parseFromString(html, 'text/html').querySelector('img');
    if (img?.getAttribute('src')) return img.getAttribute('src');
  }
  const text = dt.getData('text/plain').trim();
  return /^(data:image\/|https?:\/\/)/i.test(text) ? text : null;
}

/**
 * @returns the query from a drop or paste, or null when it carried no image at all.
 * @throws ClientError NETWORK_DISABLED for a web image that arrived only as a remote URL.
 */
export async function fromDataTransfer(dt: DataTransfer): Promise<QueryImage | null> {
  const file = Array.from(dt.files).find(isImageFile);
  if (file) return fromFile(file);
  for (const item of Array.from(dt.items)) {
    if (item.kind === 'file' && item.type.startsWith('image/')) {
      const f = item.getAsFile();
      if (f) return fromBlob(f, f.name || 'pasted image');
    }
  }
  const url = draggedImageUrl(dt);
  if (!url) return null;
  const blob = dataUrlToBlob(url);
  if (blob) return fromBlob(blob, 'web image');
  if (/^https?:\/\//i.test(url)) throw new ClientError({ code: 'NETWORK_DISABLED', message: url.slice(0, 200) });
  return null;
}
