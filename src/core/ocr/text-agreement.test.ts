import { describe, expect, it } from 'vitest';
import { textAgreements, textGrams } from './text-agreement.js';

describe('textGrams', () => {
  it('folds case and diacritics and pads each word', () => {
    expect(textGrams('Mjölk')).toEqual(textGrams('MJOLK'));
    expect(textGrams('ab')).toEqual(new Set(['^ab', 'ab$']));
    // Single characters and punctuation are left out.
    expect(textGrams('a . 5 %').size).toBe(0);
  });
});

describe('textAgreements', () => {
  const cartons = ['Arla Mellanmjölk 1,5%', 'Arla Lättmjölk 0,5%', 'Arla Standardmjölk 3%'];

  it('ranks the candidate whose text the query reads first, despite OCR slips', () => {
    const a = textAgreements('ARLA MELLANMJOIK', cartons);
    expect(a[0]).toBeGreaterThan(a[1]!);
    expect(a[0]).toBeGreaterThan(a[2]!);
    const b = textAgreements('LATTMJ0LK', cartons);
    expect(b.indexOf(Math.max(...b))).toBe(1);
  });

  it('cannot separate by what every candidate shares; a query without text agrees with nothing', () => {
    const shared = textAgreements('ARLA', cartons);
    expect(new Set(shared).size).toBe(1);
    expect(textAgreements('', cartons)).toEqual([0, 0, 0]);
    expect(textAgreements('Mellanmjölk', [])).toEqual([]);
    expect(textAgreements('Mellanmjölk', ['', 'Mellanmjölk'])[0]).toBe(0);
  });

  it('counts unread noise against the agreement when asked, without changing the order', () => {
    const clean = textAgreements('MELLANMJOLK', cartons);
    const noisy = textAgreements('MELLANMJOLK QXZW VVKR', cartons, { unmatched: true });
    expect(noisy[0]).toBeLessThan(clean[0]!);
    expect(noisy.indexOf(Math.max(...noisy))).toBe(0);
  });
});
