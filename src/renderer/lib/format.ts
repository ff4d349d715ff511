/** Number and time formatting for the UI; locale-aware where the language matters. */

export function formatBytes(bytes: number, locale: string): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toLocaleString(locale, { maximumFractionDigits: unit === 0 ? 0 : 1 })} ${units[unit]}`;
}

/** `1:05`, `12:30`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

export const formatScore = (score: number): string => score.toFixed(3);

/** A chance as a whole percentage, never 100% (a calibrated verdict is a measurement, not a certainty). */
export const formatChance = (p: number): string => `${Math.min(99, Math.round(100 * p))}%`;

export const formatRate = (rate: number, locale: string): string =>
  rate.toLocaleString(locale, { maximumFractionDigits: rate < 10 ? 1 : 0 });

export const formatMs = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

export function formatDate(ms: number, locale: string): string {
  return new Date(ms).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The last path segment, for either separator (paths come from any OS the library lives on). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** A product price in its currency when known (`¥129.00`, `$12.50`), else as a plain number. */
export function formatPrice(price: number, currency: string | null, locale: string): string {
  if (currency && /^[A-Za-z]{3}$/.test(currency)) {
    try {
      return price.toLocaleString(locale, { style: 'currency', currency: currency.toUpperCase() });
    } catch {
      // An unknown ISO code falls through to the plain form.
    }
  }
  const n = price.toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return currency ? `${n} ${currency}` : n;
}
