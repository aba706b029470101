import { describe, expect, it } from 'vitest';
import { BodyPool } from './body-pool.ts';

describe('BodyPool', () => {
  it('should hand out a buffer of the length asked, and reuse one given back', () => {
    const pool = new BodyPool(4, 1 << 20);
    const a = pool.take(300_000);
    expect(a.length).toBe(300_000);
    pool.give(a);
    expect(pool.size).toBe(1);
    const b = pool.take(200_000);
    expect(b.length).toBe(200_000);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.size).toBe(0);
  });

  it('should make a new buffer when none waiting is large enough', () => {
    const pool = new BodyPool(4, 1 << 20);
    const small = pool.take(1000);
    pool.give(small);
    const big = pool.take(500_000);
    expect(big.buffer).not.toBe(small.buffer);
    expect(pool.size).toBe(1);
  });

  it('should keep at most its bound of buffers, the largest ones', () => {
    const pool = new BodyPool(2, 1 << 20);
    const taken = [pool.take(1000), pool.take(100_000), pool.take(300_000)];
    for (const b of taken) pool.give(b);
    expect(pool.size).toBe(2);
    expect(pool.take(300_000).buffer).toBe(taken[2].buffer);
    expect(pool.take(100_000).buffer).toBe(taken[1].buffer);
  });

  it('should ignore buffers it did not make, and one given back twice', () => {
    const pool = new BodyPool(4, 1 << 20);
    pool.give(Buffer.alloc(1000));
    expect(pool.size).toBe(0);
    const a = pool.take(1000);
    pool.give(a);
    pool.give(a);
    expect(pool.size).toBe(1);
  });
});
