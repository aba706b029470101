import { describe, expect, it } from 'vitest';
import { readVarint, varintSize, writeVarint } from './wire.ts';

describe('protobuf varints', () => {
  it.each([0, 1, 127, 128, 300, 2 ** 32, 1_700_000_000_123, Number.MAX_SAFE_INTEGER])(
    'should round-trip %d in varintSize bytes',
    (n) => {
      const buf = Buffer.alloc(10);
      const end = writeVarint(buf, 0, n);
      expect(end).toBe(varintSize(n));
      expect(readVarint(buf, 0)).toEqual([n, end]);
    },
  );

  it('should encode 300 as the protobuf documentation shows', () => {
    const buf = Buffer.alloc(2);
    writeVarint(buf, 0, 300);
    expect([...buf]).toEqual([0xac, 0x02]);
  });
});
