/**
 * The `--where` filter syntax of `search` and `find`: conditions joined with `,` (or the option repeated), all of
 * which must hold:
 *   category=Dresses      brand=Acme|Zeta (either)      sku=A-100
 *   price<50  price<=50  price>10  price>=10  price=25
 * Field names are case-insensitive; text values compare case-insensitively and exactly.
 */
import { InvalidArgumentError } from 'commander';
import type { ItemFilter } from '../core/catalog/products.repo.js';

export const WHERE_HELP =
  "filter: field=value (category, brand, sku; a|b for either) or price<N, price<=N, price>N, price>=N, price=N; join with ',' or repeat";

/** Parses one `--where` argument into `previous` (commander's reducer). @throws InvalidArgumentError */
export function parseWhere(value: string, previous: ItemFilter | undefined): ItemFilter {
  const filter: ItemFilter = { ...(previous ?? {}) };
  for (const raw of value.split(',')) {
    const cond = raw.trim();
    if (cond === '') continue;
    const m = /^([A-Za-z]+)\s*(<=|>=|<|>|=)\s*(.+)$/.exec(cond);
    if (!m) throw new InvalidArgumentError(`cannot read "${cond}"; ${WHERE_HELP}.`);
    const field = m[1]!.toLowerCase();
    const op = m[2]!;
    const rhs = m[3]!.trim();
    if (field === 'price') {
      const n = Number(rhs);
      if (rhs === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`"${cond}": price needs a number.`);
      if (op === '=' || op === '>' || op === '>=') {
        filter.priceMin = n;
        filter.priceMinExclusive = op === '>';
      }
      if (op === '=' || op === '<' || op === '<=') {
        filter.priceMax = n;
        filter.priceMaxExclusive = op === '<';
      }
      continue;
    }
    if (field !== 'category' && field !== 'brand' && field !== 'sku') {
      throw new InvalidArgumentError(`unknown field "${m[1]}"; ${WHERE_HELP}.`);
    }
    if (op !== '=') throw new InvalidArgumentError(`"${cond}": ${field} supports only =.`);
    const values = rhs.split('|').map((v) => v.trim()).filter(Boolean);
    if (values.length === 0) throw new InvalidArgumentError(`"${cond}": no value.`);
    filter[field] = [...(filter[field] ?? []), ...values];
  }
  return filter;
}
