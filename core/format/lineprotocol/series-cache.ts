/**
 * A line protocol parser's memory of series across parse calls. A listener sees the same series
 * again every interval (each agent of a fleet sends its series, in the same order, every 10 s),
 * and parsing a series section — measurement, tag keys and values, their strings and the tags
 * object — is most of the cost of a line. With this cache a known series costs a byte comparison
 * and a copy of its tags, and the next line's series and the line's field keys are predicted.
 *
 * At most `maxSeries` are kept, evicted by CLOCK (second chance): a hit only sets a flag; when
 * room is needed the hand goes round the slots, clearing flags, and takes the first slot whose
 * entry was not used since the hand last passed. When full, only one new series in
 * ADMIT_WHEN_FULL is taken (see admit()), so a stream cycling through more series than fit keeps
 * a stable part of them cached (that part hits) instead of evicting on every line. Still, a miss
 * costs more than parsing without the cache (a lookup in a large table, cold memory), so when a
 * full cache hits less than MIN_HIT_RATIO of the lines of a window of input, the parser does
 * without it for BYPASS_WINDOWS windows, then tries it again (engaged()).
 *
 * Entries own copies of their section's bytes in an arena of large chunks, side by side in the
 * order they were learned (series that follow each other are read together), so nothing refers
 * to an input buffer after its call. Field keys are shared: one FieldKeys per distinct sequence of
 * key bytes, with its bytes in the arena too, counted by the entries using it and dropped with the
 * last (so the table of them never outgrows the entries). Bytes of forgotten entries and keys are
 * reclaimed by copying the live ones to new chunks when they outweigh them.
 */
import { EntryIndex } from './entry-index.ts';
import { FieldKeys, NO_KEYS, bytesEqual } from './series.ts';
import type { SeriesEntry } from './series.ts';
import type { Bytes } from './strings.ts';

/** When full, one new series in this many is remembered (see admit()). */
const ADMIT_WHEN_FULL = 16;
/** Input bytes over which the hit ratio is judged. */
const WINDOW_BYTES = 16 * 1024 * 1024;
/** A full cache hitting fewer lines than this is bypassed... */
const MIN_HIT_RATIO = 0.75;
/** ...for this many windows of input. */
const BYPASS_WINDOWS = 8;
/** Bytes per arena chunk. */
const CHUNK = 256 * 1024;

/**
 * An entry's `gen`: 0 for an entry of one parse call, FORGOTTEN for one this cache let go of (a
 * prediction may still point at it; it is never used), and for a remembered one (slot + 1) * 2,
 * plus SEEN while it was used since the CLOCK hand last passed it.
 */
export const FORGOTTEN = -1;
const SEEN = 1;
const genOf = (slot: number): number => (slot + 1) * 2;
const slotOf = (e: SeriesEntry): number => (e.gen >> 1) - 1;
const NOTHING = new DataView(new ArrayBuffer(0));

/** Append-only byte storage in chunks. */
class Arena {
  private buf = new Uint8Array(0);
  private used = 0;
  /** The chunk that the offsets of the last reserve() and copy() calls refer to. */
  dv = NOTHING;

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
    return at;
  }
}

export class SeriesCache {
  private readonly max: number;
  private readonly window: number;
  private readonly index = new EntryIndex();
  /** The entries, in CLOCK slots, and the hash of each slot's entry. */
  private readonly slots: SeriesEntry[] = [];
  private hashes = new Int32Array(1024);
  /** Shared field keys by identity (their lengths and bytes, see learnKeys()). */
  private readonly fieldKeys = new Map<string, FieldKeys>();
  private hand = 0;
  private arena = new Arena();
  /** Arena bytes of remembered entries and shared field keys, and of forgotten ones. */
  private live = 0;
  private garbage = 0;
  /** New series not remembered since the cache was full. */
  private refused = 0;
  /** Lines whose series was remembered (predicted or found), and lookups that found nothing. */
  hits = 0;
  misses = 0;
  /** Input bytes parsed without the cache because it hit too little. */
  bypassedBytes = 0;
  /** Hit ratio of the last window judged (1 before the first). */
  lastHitRatio = 1;
  private windowBytes = 0;
  private windowHits = 0;
  private windowMisses = 0;
  private bypassLeft = 0;

  /**
   * `maxSeries`: at most this many series are remembered (at least 1). `windowBytes`: input over
   * which the hit ratio is judged (tests shorten it).
   */
  constructor(maxSeries: number, windowBytes = WINDOW_BYTES) {
    this.max = Math.max(1, maxSeries);
    this.window = windowBytes;
  }

  /** Series remembered now. */
  get size(): number {
    return this.index.size;
  }

  /** Series it may remember. */
  get capacity(): number {
    return this.max;
  }

  /** Whether to use the cache for an input of `bytes` bytes (see the top of this file). */
  engaged(bytes: number): boolean {
    if (this.bypassLeft > 0) {
      this.bypassLeft -= bytes;
      this.bypassedBytes += bytes;
      return false;
    }
    this.windowBytes += bytes;
    if (this.windowBytes >= this.window) {
      const hits = this.hits - this.windowHits;
      const lines = hits + this.misses - this.windowMisses;
      this.lastHitRatio = lines === 0 ? 1 : hits / lines;
      if (this.slots.length >= this.max && hits < lines * MIN_HIT_RATIO) {
        this.bypassLeft = BYPASS_WINDOWS * this.window;
      }
      this.windowBytes = 0;
      this.windowHits = this.hits;
      this.windowMisses = this.misses;
    }
    return true;
  }

  /** The entry whose section is src[off, off+len), or null. */
  find(src: DataView, off: number, len: number, hash: number): SeriesEntry | null {
    const slot = this.index.get(hash);
    const e = slot === -1 ? null : this.slots[slot];
    if (e === null || e.len !== len || !bytesEqual(e.src, e.off, src, off, len)) {
      this.misses++;
      return null;
    }
    e.gen |= SEEN;
    this.hits++;
    return e;
  }

  /** A remembered entry was used because the line before predicted it. */
  predicted(e: SeriesEntry): void {
    e.gen |= SEEN;
    this.hits++;
  }

  /**
   * Whether to remember a series just parsed: always while there is room; when full, one in
   * ADMIT_WHEN_FULL. A stream cycling through more series than fit would otherwise evict on every
   * line and never hit; this way the cache keeps a stable part of it, and new series still get
   * in over time while series not seen any more are the first to go.
   */
  admit(): boolean {
    if (this.slots.length < this.max) return true;
    return ++this.refused % ADMIT_WHEN_FULL === 0;
  }

  /** Remembers a just-parsed entry whose bytes (section and any field keys) are in the call's input. */
  add(e: SeriesEntry, hash: number): void {
    const oldSlot = this.index.get(hash);
    const old = oldSlot === -1 ? null : this.slots[oldSlot];
    if (old === e) return;
    let slot: number;
    if (old !== null) {
      // A hash collision (or the same bytes added twice): the newer entry takes the slot.
      slot = oldSlot;
      this.forget(old);
    } else if (this.slots.length < this.max) {
      slot = this.slots.length;
      this.slots.push(e);
      if (slot === this.hashes.length) {
        const grown = new Int32Array(Math.min(this.max, slot * 2));
        grown.set(this.hashes);
        this.hashes = grown;
      }
    } else {
      const victim = this.victim();
      slot = slotOf(victim);
      this.index.delete(this.hashes[slot]);
      this.forget(victim);
    }
    this.slots[slot] = e;
    this.hashes[slot] = hash;
    e.off = this.arena.copy(e.src, e.off, e.len);
    e.src = this.arena.dv;
    this.live += e.len;
    e.gen = genOf(slot);
    this.index.set(hash, slot);
    const fk = e.fieldKeys;
    if (fk.id === '' && fk !== NO_KEYS) {
      // The keys of the entry's line, in the call's input: shared ones take their place.
      e.fieldKeys = NO_KEYS;
      this.learnKeys(e, fk.src, fk.off, fk.len, fk.keys, fk.keys.length);
    } else this.compactIfWasteful();
  }

  /**
   * Field keys of a remembered entry's last line, whose bytes are src[starts[j], +lens[j]): the
   * shared FieldKeys of the same bytes, made (its bytes copied) when none is remembered.
   */
  learnKeys(
    e: SeriesEntry,
    src: DataView,
    starts: number[],
    lens: number[],
    keys: string[],
    n: number,
  ): void {
    const raw = Buffer.from(src.buffer, src.byteOffset, src.byteLength) as Bytes;
    let id = '';
    for (let j = 0; j < n; j++) id += `${lens[j]}:${raw.latin1Slice(starts[j], starts[j] + lens[j])}`;
    let fk = this.fieldKeys.get(id);
    if (fk === undefined) {
      let total = 0;
      for (let j = 0; j < n; j++) total += lens[j];
      const arena = this.arena;
      arena.reserve(total);
      const off = new Array<number>(n);
      for (let j = 0; j < n; j++) off[j] = arena.copy(src, starts[j], lens[j]);
      fk = new FieldKeys(arena.dv, off, lens.slice(0, n), keys.slice(0, n));
      fk.id = id;
      this.fieldKeys.set(id, fk);
      this.live += total;
    }
    if (fk !== e.fieldKeys) {
      fk.refs++;
      this.release(e.fieldKeys);
      e.fieldKeys = fk;
    }
    this.compactIfWasteful();
  }

  /** An entry stops using shared field keys; the last user lets go of them. */
  private release(fk: FieldKeys): void {
    if (fk.id === '' || --fk.refs > 0) return;
    this.fieldKeys.delete(fk.id);
    const bytes = fk.bytes();
    this.live -= bytes;
    this.garbage += bytes;
  }

  /** The entry whose slot the hand takes: the first not used since the hand last passed it. */
  private victim(): SeriesEntry {
    for (;;) {
      const e = this.slots[this.hand];
      this.hand = this.hand + 1 === this.slots.length ? 0 : this.hand + 1;
      if ((e.gen & SEEN) === 0) return e;
      e.gen &= ~SEEN;
    }
  }

  /** Marks an entry forgotten and lets go of its bytes (a prediction may still point at it). */
  private forget(e: SeriesEntry): void {
    this.live -= e.len;
    this.garbage += e.len;
    this.release(e.fieldKeys);
    e.gen = FORGOTTEN;
    e.src = NOTHING;
    e.fieldKeys = NO_KEYS;
    e.next = null;
  }

  /** When forgotten bytes outweigh live ones, copies the live ones to new chunks. */
  private compactIfWasteful(): void {
    if (this.garbage <= this.live + CHUNK) return;
    const arena = new Arena();
    for (const e of this.slots) {
      e.off = arena.copy(e.src, e.off, e.len);
      e.src = arena.dv;
    }
    for (const fk of this.fieldKeys.values()) {
      const src = fk.src;
      arena.reserve(fk.bytes());
      for (let j = 0; j < fk.off.length; j++) fk.off[j] = arena.copy(src, fk.off[j], fk.len[j]);
      fk.src = arena.dv;
    }
    this.arena = arena;
    this.garbage = 0;
  }
}
