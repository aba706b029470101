/**
 * Per-parse memo of series sections. The bytes before a line's first unescaped space (measurement
 * and tags) repeat for every point of a series, so each distinct section is parsed once per call;
 * later lines compare bytes and copy the tags. Lines of a batch tend to cycle through the same
 * series in the same order, so each entry also predicts the series of the next line, and the field
 * keys of its own line, which then need a byte comparison instead of a scan and a lookup.
 */
import type { Tags } from '../../metric/metric.ts';

/** One parsed series section: where its bytes are in the input, and what they parse to. */
export class SeriesEntry {
  readonly start: number;
  readonly len: number;
  readonly name: string;
  /**
   * The tags of the series' first line, which that line's metric keeps; later lines get copies.
   * Nothing mutates them while the parse call runs, and the entry dies with the call.
   */
  readonly tags: Tags;
  /** False when a tag key is "__proto__", which Object.assign would not copy as a property. */
  readonly plain: boolean;
  /** The series of the line after the last line of this series. */
  next: SeriesEntry | null = null;
  /** Field keys of the last line of this series: where their bytes are, and their strings. */
  keyStart: number[] = [];
  keyLen: number[] = [];
  keys: string[] = [];

  constructor(start: number, len: number, name: string, tags: Tags) {
    this.start = start;
    this.len = len;
    this.name = name;
    this.tags = tags;
    this.plain = !Object.hasOwn(tags, '__proto__');
  }

  /** A fresh copy of the tags for one metric. */
  copyTags(): Tags {
    if (this.plain) return Object.assign({}, this.tags);
    const t: Tags = {};
    for (const k of Object.keys(this.tags))
      Object.defineProperty(t, k, { value: this.tags[k], enumerable: true, writable: true });
    return t;
  }
}

/** Byte comparison inside one buffer, four bytes at a time. */
export class ByteCompare {
  private readonly b: Uint8Array;
  private readonly dv: DataView;

  constructor(b: Uint8Array) {
    this.b = b;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** b[x, x+len) equals b[y, y+len); both ranges must lie inside the buffer. */
  equal(x: number, y: number, len: number): boolean {
    const dv = this.dv;
    const end4 = x + len - 3;
    while (x < end4) {
      if (dv.getInt32(x) !== dv.getInt32(y)) return false;
      x += 4;
      y += 4;
    }
    const b = this.b;
    const end = end4 + 3;
    while (x < end) {
      if (b[x] !== b[y]) return false;
      x++;
      y++;
    }
    return true;
  }
}

/** Direct-mapped table of series entries keyed by the hash of their bytes. */
export class SeriesTable {
  private readonly mask: number;
  private readonly slots: (SeriesEntry | null)[];
  private readonly cmp: ByteCompare;

  constructor(cmp: ByteCompare, slots: number) {
    this.cmp = cmp;
    this.mask = slots - 1;
    this.slots = new Array<SeriesEntry | null>(slots).fill(null);
  }

  find(start: number, len: number, hash: number): SeriesEntry | null {
    const e = this.slots[(hash ^ (hash >>> 13) ^ len) & this.mask];
    if (e !== null && e.len === len && this.cmp.equal(e.start, start, len)) return e;
    return null;
  }

  put(e: SeriesEntry, hash: number): void {
    this.slots[(hash ^ (hash >>> 13) ^ e.len) & this.mask] = e;
  }
}
