/**
 * The SeriesCache's index of its CLOCK slots by the hash of their entries' bytes: an
 * open-addressing table (linear probing, at most 3/4 full) of two Int32Arrays, hashes and slot
 * numbers. At 8 bytes a table slot, outside the V8 heap, it takes about a quarter of what a
 * Map<number, SeriesEntry> takes (a Map entry holds key, value and chain, with buckets beside),
 * growing it leaves no garbage in the large-object space (where nothing is freed before the next
 * full collection), and the collector has no references in it to trace.
 *
 * It holds no references to the entries on purpose: the young-generation collector promotes
 * entries in the order it finds them, and found through the CLOCK slots (the order they were
 * learned, the order a stream sends them) they land side by side, as the stream reads them. Found
 * through a table in hash order, they were scattered, and a line's tags copy ran 25 % slower.
 *
 * At most one slot per hash, as the cache wants it (see SeriesCache.add()).
 */

const INITIAL_SLOTS = 1024;

export class EntryIndex {
  private hashes = new Int32Array(INITIAL_SLOTS);
  /** The CLOCK slot + 1 of each table slot's entry; 0: empty. */
  private slots = new Int32Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  private count = 0;

  /** Hashes held. */
  get size(): number {
    return this.count;
  }

  /** The CLOCK slot of the entry with this hash, or -1. */
  get(hash: number): number {
    const slots = this.slots;
    const hashes = this.hashes;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s = slots[i];
      if (s === 0) return -1;
      if (hashes[i] === hash) return s - 1;
    }
  }

  /** Maps a hash to a CLOCK slot, replacing what it mapped to. */
  set(hash: number, slot: number): void {
    if ((this.count + 1) * 4 > this.slots.length * 3) this.grow();
    const slots = this.slots;
    const hashes = this.hashes;
    const mask = this.mask;
    let i = hash & mask;
    while (slots[i] !== 0 && hashes[i] !== hash) i = (i + 1) & mask;
    if (slots[i] === 0) this.count++;
    slots[i] = slot + 1;
    hashes[i] = hash;
  }

  /** Removes the hash, if held (shifting back the ones probed past it). */
  delete(hash: number): void {
    const slots = this.slots;
    const hashes = this.hashes;
    const mask = this.mask;
    let i = hash & mask;
    for (;;) {
      if (slots[i] === 0) return;
      if (hashes[i] === hash) break;
      i = (i + 1) & mask;
    }
    slots[i] = 0;
    this.count--;
    // Every hash after the hole up to the next empty slot stays findable: one whose home slot is
    // not cyclically in (hole, its slot] moves into the hole, which moves to where it was.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const s = slots[j];
      if (s === 0) return;
      const home = hashes[j] & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!stays) {
        slots[i] = s;
        hashes[i] = hashes[j];
        slots[j] = 0;
        i = j;
      }
    }
  }

  private grow(): void {
    const oldSlots = this.slots;
    const oldHashes = this.hashes;
    const n = oldSlots.length * 2;
    this.slots = new Int32Array(n);
    this.hashes = new Int32Array(n);
    this.mask = n - 1;
    this.count = 0;
    for (let i = 0; i < oldSlots.length; i++) if (oldSlots[i] !== 0) this.set(oldHashes[i], oldSlots[i] - 1);
  }
}
