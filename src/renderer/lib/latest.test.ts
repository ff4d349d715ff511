import { describe, expect, it } from 'vitest';
import { latestGate } from './latest';

describe('latestGate', () => {
  it('lets only the latest of overlapping requests apply, whatever order they answer in', async () => {
    const gate = latestGate();
    const shown: string[] = [];
    const request = async (name: string, delayMs: number) => {
      const current = gate.begin();
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (current()) shown.push(name);
    };
    // The first answers last: without the gate it would be shown last and stay.
    await Promise.all([request('old', 30), request('new', 5)]);
    expect(shown).toEqual(['new']);
    await request('alone', 0);
    expect(shown).toEqual(['new', 'alone']);
  });

  it('keeps separate gates apart', () => {
    const a = latestGate();
    const b = latestGate();
    const first = a.begin();
    b.begin();
    expect(first()).toBe(true);
  });
});
