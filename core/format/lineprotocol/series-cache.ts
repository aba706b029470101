/**
 * A line protocol parser's memory of series across parse calls. A listener sees the same series
 * again every interval (each agent of a fleet sends its series, in the same order, every 10 s),
 * and parsing a series section — measurement, tag keys and values, their strings and the tags
 * object — is most of the cost of a line. With this cache a known series costs a byte comparison
 * and a copy of its tags, and the next line's series and the line's field keys are predicted.
 *
 * Entries own copies of their bytes (sections and field keys) in arenas, so nothing refers to an
 * input buffer after its call. At most `maxSeries` entries are kept, in two generations: new
 * entries, and entries of the previous generation when they are seen again, go into the current
 * one. When full, the oldest entries of the previous generation are forgotten first, except those
 * seen again while current (one flag set per hit), which move to the current generation instead;
 * when the previous generation is empty, the current one becomes it (its arenas go when it does).
 * That is an LRU approximation (CLOCK-like) without per-hit bookkeeping: a stream whose series all
 * fit never loses one, and a stream cycling through more series than the maximum mostly misses,
 * as with any LRU.
 */
import { bytesEqual } from './series.ts';
import type { SeriesEntry } from './series.ts';

/** Bytes per arena chunk. */
const CHUNK = 256 * 1024;
/** Arena bytes a generation may hold per series before it turns over anyway. */
const BYTES_PER_SERIES = 512;

/** Append-only byte storage in fixed chunks; a chunk lives as long as an entry refers to it. */
class Arena {
  private buf = new Uint8Array(0);
  private used = 0;
  /** The chunk that the offsets of the last reserve() and copy() calls refer to. */
  dv = new DataView(new ArrayBuffer(0));
  /** Bytes handed out. */
  total = 0;

  /** Makes sure the next `len` bytes of copies land in one chunk (`dv`). */
  reserve(len: number): void {
    if (this.used + len <= this.buf.length) return;
    this.buf = new Uint8Array(Math.max(CHUNK, len));
    this.dv = new DataView(this.buf.buffer);
    this.used = 0;
  }

  /** Copies src[off, off+len) in; returns its offset in `dv`. */
  copy(src: DataView, off: number, len: number): number {
    this.reserve(len);
    const at = this.used;
    this.buf.set(new Uint8Array(src.buffer, src.byteOffset + off, len), at);
    this.used += len;
    this.total += len;
    return at;
  }
}

class Generation {
  readonly id: number;
  readonly map = new Map<number, SeriesEntry>();
  readonly arena = new Arena();
  /** Entries in insertion order, for forgetting the oldest first. */
  readonly oldest: MapIterator<SeriesEntry>;

  constructor(id: number) {
    this.id = id;
    this.oldest = this.map.values();
  }
}

/** `gen` of an entry that was forgotten (a prediction may still point at it). */
const FORGOTTEN = -1;

export class SeriesCache {
  private readonly max: number;
  private cur: Generation;
  private prev: Generation;
  /** Entries of the previous generation neither moved to the current one nor forgotten. */
  private prevLive = 0;
  private ids = 2;

  /** `maxSeries`: at most this many series are remembered (at least 1). */
  constructor(maxSeries: number) {
    this.max = Math.max(1, maxSeries);
    this.prev = new Generation(1);
    this.cur = new Generation(2);
  }

  /** Series remembered now. */
  get size(): number {
    return this.cur.map.size + this.prevLive;
  }

  /** The entry whose section is src[off, off+len), or null; keeps it current. */
  find(src: DataView, off: number, len: number, hash: number): SeriesEntry | null {
    let e = this.cur.map.get(hash);
    if (e === undefined) {
      e = this.prev.map.get(hash);
      if (e === undefined || e.len !== len || !bytesEqual(e.src, e.off, src, off, len)) return null;
      this.keep(e);
      return e;
    }
    if (e.len !== len || !bytesEqual(e.src, e.off, src, off, len)) return null;
    e.seen = true;
    return e;
  }

  /**
   * Whether a predicted entry may be used; makes it current when it is not. A forgotten entry is
   * not used (the line then looks its series up), so memory stays bounded by the maximum.
   */
  usable(e: SeriesEntry): boolean {
    if (e.gen === this.cur.id) e.seen = true;
    else if (e.gen === FORGOTTEN) return false;
    else this.keep(e);
    return true;
  }

  /** Adds a just-parsed entry whose bytes are src[e.off, e.off+e.len) of the call's input. */
  add(e: SeriesEntry, hash: number): void {
    e.hash = hash;
    this.keep(e);
  }

  /** Field keys of an entry's last line, copied from `src` (all into one arena chunk). */
  learnKeys(
    e: SeriesEntry,
    src: DataView,
    starts: number[],
    lens: number[],
    keys: string[],
    n: number,
  ): void {
    const arena = this.cur.arena;
    let total = 0;
    for (let j = 0; j < n; j++) total += lens[j];
    arena.reserve(total);
    const off = new Array<number>(n);
    for (let j = 0; j < n; j++) off[j] = arena.copy(src, starts[j], lens[j]);
    e.keySrc = arena.dv;
    e.keyOff = off;
    e.keyLen = lens.slice(0, n);
    e.keys = keys.slice(0, n);
  }

  /** Puts e in the current generation, its bytes (and known keys) copied into its arena. */
  private keep(e: SeriesEntry): void {
    if (e.gen === this.prev.id) this.moved(e);
    else if (this.cur.map.size + this.prevLive >= this.max) this.makeRoom();
    const cur = this.cur;
    if (cur.arena.total >= this.max * BYTES_PER_SERIES) this.turn();
    e.off = this.cur.arena.copy(e.src, e.off, e.len);
    e.src = this.cur.arena.dv;
    if (e.keySrc !== null && e.gen !== 0)
      this.learnKeys(e, e.keySrc, e.keyOff, e.keyLen, e.keys, e.keys.length);
    e.gen = this.cur.id;
    e.seen = false;
    this.cur.map.set(e.hash, e);
  }

  /** e leaves the previous generation for the current one. */
  private moved(e: SeriesEntry): void {
    if (this.prev.map.get(e.hash) === e) this.prev.map.delete(e.hash);
    this.prevLive--;
  }

  /**
   * Forgets the oldest entry of the previous generation not seen since it was current; turns the
   * generations over when the previous one has none left.
   */
  private makeRoom(): void {
    for (;;) {
      if (this.prevLive === 0) {
        if (this.cur.map.size === 0) return;
        this.turn();
      }
      const prev = this.prev;
      const next = prev.oldest.next();
      if (next.done === true) {
        this.prevLive = 0;
        continue;
      }
      const e = next.value;
      if (e.gen !== prev.id) continue;
      if (e.seen) {
        // A second chance: it stays, as a current entry.
        this.keep(e);
        continue;
      }
      this.moved(e);
      e.gen = FORGOTTEN;
      return;
    }
  }

  /** The current generation becomes the previous one; the previous one is forgotten. */
  private turn(): void {
    const dropped = this.prev.id;
    this.prev = this.cur;
    this.prevLive = this.cur.map.size;
    this.cur = new Generation(++this.ids);
    // Predictions must not keep forgotten entries (and their arenas) alive.
    for (const e of this.prev.map.values()) {
      const n = e.next;
      if (n !== null && (n.gen === dropped || n.gen === FORGOTTEN)) e.next = null;
    }
  }
}
