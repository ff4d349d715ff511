import { describe, expect, it } from 'vitest';
import { parseWhere } from './where.js';

describe('--where', () => {
  it('reads fields, either-values and price bounds, joined with commas or repeated', () => {
    const f = parseWhere('brand=Acme|Zeta, price>=10,price<50', undefined);
    expect(f).toEqual({ brand: ['Acme', 'Zeta'], priceMin: 10, priceMinExclusive: false, priceMax: 50, priceMaxExclusive: true });
    expect(parseWhere('Category=Linen Dresses', f)).toMatchObject({ category: ['Linen Dresses'], brand: ['Acme', 'Zeta'] });
    expect(parseWhere('price=25', undefined)).toEqual({ priceMin: 25, priceMinExclusive: false, priceMax: 25, priceMaxExclusive: false });
  });

  it('refuses unknown fields, bad numbers and operators a text field lacks', () => {
    expect(() => parseWhere('colour=red', undefined)).toThrow(/unknown field/);
    expect(() => parseWhere('price<cheap', undefined)).toThrow(/number/);
    expect(() => parseWhere('brand>A', undefined)).toThrow(/only =/);
    expect(() => parseWhere('brand', undefined)).toThrow(/cannot read/);
  });
});
