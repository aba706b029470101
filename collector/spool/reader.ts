/**
 * SpoolReader: one destination's position in the spool. It streams records from the segment
 * files (never holding what is pending in memory) and commits what was delivered.
 */
import type { Cursor } from './cursor.ts';
import type { Position, StoredRecord } from './frames.ts';

/** A record read from the spool. */
export interface SpoolRecord {
  /** Exactly the bytes given to append(). */
  readonly payload: Buffer;
  /** Wall-clock ms when appended (stored in the record). */
  readonly appendedAt: number;
  /** Record number within this spool, increasing, surviving restarts. */
  readonly seq: number;
}

/** What a reader needs from its spool. */
export interface ReaderHost {
  readonly closed: boolean;
  /** seq of the newest record appended (0 when none ever was). */
  readonly lastSeq: number;
  /** Records from `pos`, and the position after them; [] when nothing is written past `pos`. */
  readFrom(pos: Position, maxRecords: number, maxBytes: number): { records: StoredRecord[]; pos: Position };
  /** Resolves on the next append, on abort or on close. */
  waitForAppend(signal?: AbortSignal): Promise<void>;
  /** Bytes written from `pos` to the end of the log. */
  bytesFrom(pos: Position): number;
  /** appendedAt of the record at `pos`, or null at the end of the log. */
  appendedAtOf(pos: Position): number | null;
  /** The reader's committed cursor moved: persist it, maybe delete segments. */
  committed(reader: SpoolReader): void;
  /** The reader no longer pins segments. */
  released(reader: SpoolReader): void;
}

export class SpoolReader {
  readonly name: string;
  private readonly host: ReaderHost;
  private pos: Position;
  private cur: Cursor;
  private closedFlag = false;
  /** Cache of oldestUncommittedAt for the current cursor. */
  private oldestAt: number | null = null;
  /** The cursor changed since it was last persisted. */
  dirty = false;

  /** Made by Spool.reader(); `cursor` is where reading starts (and what counts as committed). */
  constructor(host: ReaderHost, name: string, cursor: Cursor) {
    this.host = host;
    this.name = name;
    this.cur = { ...cursor };
    this.pos = { segment: cursor.segment, offset: cursor.offset };
  }

  /** The committed cursor (what is persisted). */
  get cursor(): Readonly<Cursor> {
    return this.cur;
  }

  /** False once closed (by itself or with its spool). */
  get open(): boolean {
    return !this.closedFlag && !this.host.closed;
  }

  /**
   * The next records after the read position, up to maxRecords and about maxBytes (at least one
   * record); waits until one is appended when none is available; resolves [] when `signal`
   * aborts or the spool or reader closes. Advances the read position.
   */
  async read(maxRecords: number, maxBytes: number, signal?: AbortSignal): Promise<SpoolRecord[]> {
    const limit = Math.max(1, maxRecords);
    for (;;) {
      if (!this.open || signal?.aborted === true) return [];
      const got = this.host.readFrom(this.pos, limit, Math.max(1, maxBytes));
      this.pos = got.pos;
      if (got.records.length > 0) return got.records;
      await this.host.waitForAppend(signal);
    }
  }

  /** Everything up to and including `rec` is delivered: the committed cursor moves past it. */
  commit(rec: SpoolRecord): void {
    if (!this.open) return;
    const r = rec as StoredRecord;
    if (r.seq <= this.cur.seq) return;
    this.cur = { segment: r.segment, offset: r.end, seq: r.seq };
    this.oldestAt = null;
    // A commit ahead of the read position (records read by an earlier read) moves it too.
    if (this.pos.segment < r.segment || (this.pos.segment === r.segment && this.pos.offset < r.end)) {
      this.pos = { segment: r.segment, offset: r.end };
    }
    this.dirty = true;
    this.host.committed(this);
  }

  /** The read position goes back to the committed cursor: the same records are read again. */
  rewind(): void {
    this.pos = { segment: this.cur.segment, offset: this.cur.offset };
  }

  /** Bytes appended but not committed by this reader (frames included). */
  get lagBytes(): number {
    return this.host.bytesFrom(this.cur);
  }

  /** Records appended but not committed by this reader (corrupt ones skipped included). */
  get lagRecords(): number {
    return Math.max(0, this.host.lastSeq - this.cur.seq);
  }

  /** appendedAt of the first uncommitted record, null when caught up. */
  get oldestUncommittedAt(): number | null {
    if (this.oldestAt === null) this.oldestAt = this.host.appendedAtOf(this.cur);
    return this.oldestAt;
  }

  /** Moves the cursor forward (the area it pointed to is gone); a read position behind it follows. */
  reset(cursor: Cursor): void {
    this.cur = { ...cursor };
    const p = this.pos;
    if (p.segment < cursor.segment || (p.segment === cursor.segment && p.offset < cursor.offset)) {
      this.pos = { segment: cursor.segment, offset: cursor.offset };
    }
    this.oldestAt = null;
    this.dirty = true;
  }

  /** Stops pinning segments; the cursor file stays. Pending reads resolve []. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.host.released(this);
  }
}
