import { describe, expect, it } from 'vitest';
import { FieldMap, SeriesIndex } from './series-index.ts';

describe('SeriesIndex', () => {
  it('should find a series by name and tags in any key order', () => {
    const idx = new SeriesIndex<number>();
    idx.set('cpu', { a: '1', b: '2' }, null, 7);
    expect(idx.get('cpu', { a: '1', b: '2' })).toBe(7);
    expect(idx.get('cpu', { b: '2', a: '1' })).toBe(7);
    expect(idx.get('cpu', { a: '1' })).toBeUndefined();
    expect(idx.get('cpu', { a: '1', b: '2', c: '3' })).toBeUndefined();
    expect(idx.get('mem', { a: '1', b: '2' })).toBeUndefined();
    expect(idx.size).toBe(1);
  });

  it('should tell apart series that are prefixes of each other', () => {
    const idx = new SeriesIndex<string>();
    idx.set('cpu', {}, null, 'bare');
    idx.set('cpu', { a: '1' }, null, 'a');
    idx.set('cpu', { a: '1', b: '2' }, null, 'ab');
    idx.set('cpu', { b: '2' }, null, 'b');
    expect([
      idx.get('cpu', {}),
      idx.get('cpu', { a: '1' }),
      idx.get('cpu', { b: '2', a: '1' }),
      idx.get('cpu', { b: '2' }),
    ]).toEqual(['bare', 'a', 'ab', 'b']);
    expect([...idx.values()].sort()).toEqual(['a', 'ab', 'b', 'bare']);
  });

  it('should sort integer-like tag keys as strings', () => {
    const idx = new SeriesIndex<number>();
    idx.set('m', { '10': 'x', '9': 'y' }, null, 1);
    expect(idx.get('m', { '9': 'y', '10': 'x' })).toBe(1);
  });

  it('should walk only the group-by keys, a missing tag being its own value', () => {
    const idx = new SeriesIndex<string>();
    idx.set('cpu', { host: 'a', core: '0' }, ['host'], 'a');
    idx.set('cpu', { core: '0' }, ['host'], 'none');
    expect(idx.get('cpu', { host: 'a', core: '1' }, ['host'])).toBe('a');
    expect(idx.get('cpu', { core: '7' }, ['host'])).toBe('none');
    expect(idx.get('cpu', { host: '\u0000' }, ['host'])).toBe('none');
  });

  it('should delete a series and prune its empty branches', () => {
    const idx = new SeriesIndex<number>();
    idx.set('cpu', { a: '1', b: '2' }, null, 1);
    idx.set('cpu', { a: '1', b: '3' }, null, 2);
    idx.delete('cpu', { b: '2', a: '1' });
    expect(idx.get('cpu', { a: '1', b: '2' })).toBeUndefined();
    expect(idx.get('cpu', { a: '1', b: '3' })).toBe(2);
    idx.delete('cpu', { a: '1', b: '3' });
    expect(idx.size).toBe(0);
    expect([...idx.values()]).toEqual([]);
    idx.set('cpu', { a: '1', b: '2' }, null, 3);
    expect(idx.get('cpu', { a: '1', b: '2' })).toBe(3);
  });
});

describe('FieldMap', () => {
  it('should hold the first field inline and the rest in a map, in insertion order', () => {
    const m = new FieldMap<number>();
    m.set('a', 1);
    m.set('b', 2);
    m.set('a', 3);
    m.set('c', 4);
    expect([m.get('a'), m.get('b'), m.get('c'), m.get('d')]).toEqual([3, 2, 4, undefined]);
    expect([...m.entries()]).toEqual([
      ['a', 3],
      ['b', 2],
      ['c', 4],
    ]);
  });
});
