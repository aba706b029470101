import { describe, expect, it } from 'vitest';
import { EntryIndex } from './entry-index.ts';

describe('EntryIndex', () => {
  it('should find, replace and delete as a Map would, through growth and crowded slots', () => {
    const index = new EntryIndex();
    const model = new Map<number, number>();
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) | 0);
    for (let step = 0; step < 60_000; step++) {
      // Hashes crowd a few home slots (multiples of 1024 apart), negative ones included.
      const hash = ((next() >>> 8) % 3000) * 1024 * (step % 2 === 0 ? 1 : -1);
      if ((next() >>> 4) % 3 === 0) {
        index.delete(hash);
        model.delete(hash);
      } else {
        index.set(hash, step);
        model.set(hash, step);
      }
      if (step % 997 === 0) {
        expect(index.size).toBe(model.size);
        for (const [h, slot] of model) expect(index.get(h)).toBe(slot);
      }
    }
    for (const [h, slot] of model) expect(index.get(h)).toBe(slot);
    expect(index.get(12345)).toBe(-1);
  });
});
