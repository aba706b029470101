/**
 * Memo of series sections. The bytes before a line's first unescaped space (measurement and tags)
 * repeat for every point of a series, so each distinct section is parsed once; later lines compare
 * bytes and copy the tags. Lines tend to cycle through the same series in the same order, so each
 * entry also predicts the series of the next line, and the field keys of its own line, which then
 * need a byte comparison instead of a scan and a lookup.
 *
 * An entry lives either for one parse call (its bytes are a range of that call's input) or in a
 * parser's SeriesCache across calls (its bytes are a copy; see series-cache.ts).
 */
import type { Tags } from '../../model/metric/metric.ts';

/**
 * The field keys of a line: where their bytes are, and their strings. Within one parse call each
 * series has its own; a SeriesCache shares one among every series whose last lines had the same
 * field keys (most series of a stream share a handful of layouts), so a remembered series costs
 * a reference instead of three arrays.
 */
export class FieldKeys {
  /** Key j's bytes: src[off[j], off[j]+len[j]). */
  src: DataView;
  readonly off: number[];
  readonly len: number[];
  readonly keys: string[];
  /** SeriesCache: the identity it is shared under ('' when it is not shared), and its users. */
  id = '';
  refs = 0;

  constructor(src: DataView, off: number[], len: number[], keys: string[]) {
    this.src = src;
    this.off = off;
    this.len = len;
    this.keys = keys;
  }

  /** Bytes of all the keys. */
  bytes(): number {
    let n = 0;
    for (const l of this.len) n += l;
    return n;
  }
}

/** The field keys of a series that has none yet. */
export const NO_KEYS = new FieldKeys(new DataView(new ArrayBuffer(0)), [], [], []);

/**
 * One parsed series section: where its bytes are, and what they parse to. A SeriesCache holds one
 * per series it remembers (160,000 for the bench corpus), so every field costs 1.3 MB there: the
 * cache keeps its own per-slot state (hashes) beside its slots, and the entry's CLOCK slot and
 * flags share one number (`gen`).
 */
export class SeriesEntry {
  /** The section's bytes: src[off, off+len). */
  src: DataView;
  off: number;
  readonly len: number;
  readonly name: string;
  /**
   * Tags every metric of the series starts from. Per call, the series' first metric keeps this
   * very object (nothing mutates it while the call runs); in a cache, every metric gets a copy.
   */
  readonly tags: Tags;
  /**
   * 0: an entry of one parse call; -1: forgotten by its SeriesCache; above 0: remembered, with
   * its CLOCK slot and whether it was used since the hand last passed (see series-cache.ts).
   */
  gen = 0;
  /** The series of the line after the last line of this series. */
  next: SeriesEntry | null = null;
  /** Field keys of the last line of this series. */
  fieldKeys: FieldKeys = NO_KEYS;

  constructor(src: DataView, off: number, len: number, name: string, tags: Tags) {
    this.src = src;
    this.off = off;
    this.len = len;
    this.name = name;
    this.tags = tags;
  }

  /** A fresh copy of the tags for one metric. */
  copyTags(): Tags {
    return Object.assign({}, this.tags);
  }
}

/** A series with a tag key "__proto__", which Object.assign would not copy as an own property. */
class ProtoKeySeriesEntry extends SeriesEntry {
  override copyTags(): Tags {
    const t: Tags = {};
    for (const k of Object.keys(this.tags))
      Object.defineProperty(t, k, { value: this.tags[k], enumerable: true, writable: true });
    return t;
  }
}

/** The entry of a section just parsed (of its own class when a tag key is "__proto__"). */
export function seriesEntry(src: DataView, off: number, len: number, name: string, tags: Tags): SeriesEntry {
  return Object.hasOwn(tags, '__proto__')
    ? new ProtoKeySeriesEntry(src, off, len, name, tags)
    : new SeriesEntry(src, off, len, name, tags);
}

/** a[x, x+len) equals b[y, y+len), four bytes at a time; both ranges must lie inside their views. */
export function bytesEqual(a: DataView, x: number, b: DataView, y: number, len: number): boolean {
  const end4 = x + len - 3;
  while (x < end4) {
    if (a.getInt32(x) !== b.getInt32(y)) return false;
    x += 4;
    y += 4;
  }
  const end = end4 + 3;
  while (x < end) {
    if (a.getUint8(x) !== b.getUint8(y)) return false;
    x++;
    y++;
  }
  return true;
}

/** Byte comparison inside one buffer. */
export class ByteCompare {
  readonly dv: DataView;

  constructor(b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** b[x, x+len) equals b[y, y+len); both ranges must lie inside the buffer. */
  equal(x: number, y: number, len: number): boolean {
    return bytesEqual(this.dv, x, this.dv, y, len);
  }
}

/** Direct-mapped table of one call's series entries keyed by the hash of their bytes. */
export class SeriesTable {
  private readonly mask: number;
  private readonly slots: (SeriesEntry | null)[];
  private readonly dv: DataView;

  constructor(cmp: ByteCompare, slots: number) {
    this.dv = cmp.dv;
    this.mask = slots - 1;
    this.slots = new Array<SeriesEntry | null>(slots).fill(null);
  }

  find(start: number, len: number, hash: number): SeriesEntry | null {
    const e = this.slots[(hash ^ (hash >>> 13) ^ len) & this.mask];
    if (e !== null && e.len === len && bytesEqual(e.src, e.off, this.dv, start, len)) return e;
    return null;
  }

  put(e: SeriesEntry, hash: number): void {
    this.slots[(hash ^ (hash >>> 13) ^ e.len) & this.mask] = e;
  }
}
