import { describe, expect, it } from 'vitest';
import { LineProtocolParser } from './parser.ts';
import { SeriesCache } from './series-cache.ts';
import { SeriesEntry } from './series.ts';

function view(text: string): DataView {
  const b = Buffer.from(text, 'latin1');
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** An entry parsed from `text` (its bytes are the whole text), as the reader makes one. */
function entry(text: string): SeriesEntry {
  return new SeriesEntry(view(text), 0, text.length, text.split(',')[0], {});
}

describe('SeriesCache', () => {
  it('should find an entry by its bytes, not by its hash alone', () => {
    const cache = new SeriesCache(100);
    cache.add(entry('cpu,host=a'), 7);
    expect(cache.find(view('cpu,host=a'), 0, 10, 7)?.name).toBe('cpu');
    expect(cache.find(view('cpu,host=b'), 0, 10, 7)).toBeNull();
    expect(cache.find(view('xxcpu,host=a'), 2, 10, 7)?.name).toBe('cpu');
  });

  it('should give every metric of a remembered series with a "__proto__" tag its own such tag', () => {
    const parser = new LineProtocolParser({ seriesCache: 10 });
    for (let call = 0; call < 3; call++) {
      const metrics = parser.parse('m,__proto__=x,b=y v=1i 1\nm,__proto__=x,b=y v=2i 2\n').metrics;
      for (const m of metrics) {
        expect(Object.keys(m.tags)).toEqual(['__proto__', 'b']);
        expect(Object.getOwnPropertyDescriptor(m.tags, '__proto__')?.value).toBe('x');
        expect(Object.getPrototypeOf(m.tags)).toBe(Object.prototype);
      }
      expect(metrics[0].tags).not.toBe(metrics[1].tags);
    }
    expect((parser as unknown as { cache: SeriesCache }).cache.size).toBe(1);
  });

  it('should keep its own copy of the bytes, not the input buffer', () => {
    const cache = new SeriesCache(100);
    const input = Buffer.from('mem,host=a', 'latin1');
    cache.add(new SeriesEntry(new DataView(input.buffer, input.byteOffset, 10), 0, 10, 'mem', {}), 1);
    input.fill(0);
    expect(cache.find(view('mem,host=a'), 0, 10, 1)?.name).toBe('mem');
  });

  it('should remember at most its maximum, keeping the series it saw last', () => {
    const cache = new SeriesCache(10);
    for (let i = 0; i < 1000; i++) {
      cache.add(entry(`s,i=${i}`), i);
      expect(cache.size).toBeLessThanOrEqual(10);
    }
    expect(cache.find(view('s,i=999'), 0, 7, 999)).not.toBeNull();
    expect(cache.find(view('s,i=0'), 0, 5, 0)).toBeNull();
  });

  it('should keep a series that is looked up while others come and go', () => {
    const cache = new SeriesCache(10);
    cache.add(entry('hot,x=1'), 1);
    for (let i = 0; i < 100; i++) {
      cache.add(entry(`s,i=${i}`), 1000 + i);
      expect(cache.find(view('hot,x=1'), 0, 7, 1)?.name).toBe('hot');
    }
  });
});

describe('SeriesCache bypass', () => {
  /** A full cache of one series, judged every 1000 bytes. */
  function full(): SeriesCache {
    const cache = new SeriesCache(1, 1000);
    cache.add(entry('cpu,host=a'), 7);
    return cache;
  }

  it('should stay engaged while it hits', () => {
    const cache = full();
    for (let i = 0; i < 50; i++) {
      expect(cache.engaged(100)).toBe(true);
      cache.hits += 9;
      cache.misses += 1;
    }
    expect(cache.bypassedBytes).toBe(0);
  });

  it('should be bypassed for a while when full and missing, then tried again', () => {
    const cache = full();
    for (let i = 0; i < 10; i++) {
      expect(cache.engaged(100)).toBe(true);
      cache.misses += 10;
    }
    const seen: boolean[] = [];
    for (let i = 0; i < 81; i++) seen.push(cache.engaged(100));
    expect(seen.slice(0, 80).every((e) => !e)).toBe(true);
    expect(seen[80]).toBe(true);
    expect(cache.bypassedBytes).toBe(8000);
  });

  it('should never be bypassed while it has room', () => {
    const cache = new SeriesCache(10, 1000);
    for (let i = 0; i < 50; i++) {
      expect(cache.engaged(100)).toBe(true);
      cache.misses += 10;
    }
  });
});

describe('LineProtocolParser series memory', () => {
  const lines = (n: number, from = 0): string =>
    Array.from({ length: n }, (_, i) => `cpu,host=h${from + i},region=eu usage=${i} ${i}\n`).join('');

  it('should parse series it remembers exactly as new ones, through generations turning over', () => {
    const parser = new LineProtocolParser({ seriesCache: 50 });
    const fresh = new LineProtocolParser({ seriesCache: 0 });
    // Long series make forgotten bytes pile up, so the arena is compacted several times.
    const long = (from: number): string =>
      Array.from({ length: 300 }, (_, i) => `m,pad=${'x'.repeat(1000)},i=${from + i} v=${i}i ${i}\n`).join(
        '',
      );
    for (let round = 0; round < 5; round++) {
      for (const text of [lines(40), lines(200, 30), long(round * 100), lines(3, 1000), long(0)]) {
        const got = parser.parse(text);
        expect(got.errors).toEqual([]);
        expect(got.metrics).toEqual(fresh.parse(text).metrics);
      }
    }
  });

  it('should keep hitting on part of a stream that cycles through more series than fit', () => {
    const parser = new LineProtocolParser({ seriesCache: 500 });
    const cache = (parser as unknown as { cache: SeriesCache }).cache;
    const text = lines(1000);
    for (let round = 0; round < 20; round++) parser.parse(text);
    cache.hits = 0;
    cache.misses = 0;
    for (let round = 0; round < 10; round++) parser.parse(text);
    expect(cache.size).toBe(500);
    // Half the series fit; an LRU would hit none of them, evicting each just before its turn.
    expect(cache.hits / (cache.hits + cache.misses)).toBeGreaterThan(0.35);
  });

  it('should not be fooled by an input buffer reused for the next input', () => {
    const parser = new LineProtocolParser();
    const slab = Buffer.alloc(64);
    const parse = (text: string) => {
      slab.write(text);
      return parser.parse(slab.subarray(0, text.length)).metrics.map((m) => [m.name, m.tags, m.fields]);
    };
    expect(parse('a,t=1 v=1 1\nb,t=2 v=2 2\n')).toEqual([
      ['a', { t: '1' }, { v: 1 }],
      ['b', { t: '2' }, { v: 2 }],
    ]);
    // Same offsets, same lengths: the series after "a" now is "c", where "b" was; then a's field
    // key changes in place.
    expect(parse('a,t=1 v=1 1\nc,t=3 v=3 3\n')).toEqual([
      ['a', { t: '1' }, { v: 1 }],
      ['c', { t: '3' }, { v: 3 }],
    ]);
    expect(parse('a,t=1 w=1 1\n')).toEqual([['a', { t: '1' }, { w: 1 }]]);
  });

  it('should remember only series whose line parsed', () => {
    const parser = new LineProtocolParser();
    const cache = (parser as unknown as { cache: SeriesCache }).cache;
    parser.parse('this is not line protocol\nm,t=1 v= 1\nok,t=1 v=1 1\n');
    expect(cache.size).toBe(1);
  });

  it('should give every metric tags of its own', () => {
    const parser = new LineProtocolParser();
    const a = parser.parse(lines(2)).metrics;
    a[0].tags.host = 'changed';
    a[1].tags.extra = 'x';
    const b = parser.parse(lines(2)).metrics;
    expect(b.map((m) => m.tags)).toEqual([
      { host: 'h0', region: 'eu' },
      { host: 'h1', region: 'eu' },
    ]);
  });

  it('should keep one copy of the field keys that many series share, and drop it with the last', () => {
    const parser = new LineProtocolParser({ seriesCache: 20 });
    const shared = (parser as unknown as { cache: { fieldKeys: Map<string, { keys: string[] }> } }).cache
      .fieldKeys;
    const series = (from: number, n: number, fields: string): string =>
      Array.from({ length: n }, (_, i) => `cpu,host=h${from + i} ${fields} 1\n`).join('');
    expect(parser.parse(series(0, 20, 'idle=1,user=2')).metrics).toHaveLength(20);
    expect([...shared.values()].map((k) => k.keys)).toEqual([['idle', 'user']]);
    // New series with other keys take every slot in time: the old keys go with the last series.
    for (let round = 0; round < 40; round++) parser.parse(series(100 + round * 20, 20, 'busy=1i'));
    expect([...shared.values()].map((k) => k.keys)).toEqual([['busy']]);
    const again = parser.parse(series(0, 2, 'idle=1,user=2'));
    expect(again.metrics.map((m) => m.fields)).toEqual([
      { idle: 1, user: 2 },
      { idle: 1, user: 2 },
    ]);
  });

  it('should tell field keys apart by their bytes when their strings are the same', () => {
    const parser = new LineProtocolParser();
    // `a\"b` and `a"b` both read as the key a"b; each series keeps predicting its own bytes.
    const text = 'm,t=1 a\\"b=1 1\nm,t=2 a"b=2 1\n';
    for (let round = 0; round < 3; round++) {
      expect(parser.parse(text).metrics.map((m) => m.fields)).toEqual([{ 'a"b': 1 }, { 'a"b': 2 }]);
    }
    const shared = (parser as unknown as { cache: { fieldKeys: Map<string, unknown> } }).cache.fieldKeys;
    expect(shared.size).toBe(2);
  });

  it('should follow a series whose field keys change', () => {
    const parser = new LineProtocolParser();
    expect(parser.parse('m,t=1 a=1,b=2 1\n').metrics[0].fields).toEqual({ a: 1, b: 2 });
    expect(parser.parse('m,t=1 a=1,c=2 1\n').metrics[0].fields).toEqual({ a: 1, c: 2 });
    expect(parser.parse('m,t=1 a=1 1\nm,t=1 a=1,b=2,c=3 2\n').metrics.map((m) => m.fields)).toEqual([
      { a: 1 },
      { a: 1, b: 2, c: 3 },
    ]);
  });
});
