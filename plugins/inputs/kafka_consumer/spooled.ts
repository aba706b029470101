/**
 * The ledger of what this instance spooled but Kafka may not have committed: per partition the
 * offset ranges of the batches pushed to the pipeline whose commit was not confirmed yet (each
 * marked once the pipeline acknowledged it: delivered or durably spooled), the offset of the last
 * commit sent and of the last one confirmed. It is written in the instance's state directory
 * (temp file, rename) before a batch is pushed, and again (with an fsync) after it is acknowledged
 * and before its commit is sent, so a `kill -9` at any point leaves a file that covers every
 * spooled batch whose commit may not have reached Kafka.
 *
 * At the next start on the same data directory the ranges are compared with the group's committed
 * offsets: what lies at or after the offset the group resumed from is read again by the group,
 * duplicates of what the dead instance spooled. That offset is the last commit that reached Kafka
 * before the crash: at least the last one confirmed, at most the last one sent, and at most what
 * the group has committed since (offsets only move forward). When those agree (no commit was in
 * flight, or nobody committed on the partition since) and no batch was between its push and its
 * acknowledgement (it may or may not have reached the spool) the count is exact; otherwise it is a
 * range, and the smaller end is what is certain.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * Offsets first..last of one partition in one batch, its message count, and whether the pipeline
 * acknowledged it (spooled for sure) or only took it (pushed: it may be in the spool already when
 * the process dies before the acknowledgement).
 */
export interface SpooledRange {
  first: bigint;
  last: bigint;
  messages: number;
  acked: boolean;
}

/** One partition's entry. `sent` and `confirmed` are next offsets (last committed + 1), -1n if none. */
export interface PartitionLedger {
  ranges: SpooledRange[];
  sent: bigint;
  confirmed: bigint;
}

/** Duplicates to expect on one partition after a crash: at least `min`, at most `max`, from `from`. */
export interface Uncommitted {
  min: number;
  max: number;
  /** Lowest offset the group may deliver again. */
  from: bigint;
}

interface SavedPartition {
  ranges: [string, string, number, boolean][];
  sent: string;
  confirmed: string;
}

/** Messages of `ranges` at or after offset `at` (only acknowledged ranges unless `all`). */
function spooledFrom(ranges: readonly SpooledRange[], at: bigint, all: boolean): number {
  let n = 0;
  for (const r of ranges) {
    if (!r.acked && !all) continue;
    if (r.first >= at) n += r.messages;
    else if (r.last >= at) n += Math.min(r.messages, Number(r.last + 1n - at));
  }
  return n;
}

/**
 * What the group will deliver again of a partition a crashed instance left in its ledger, given the
 * group's committed offset now (undefined or negative: the group has none).
 */
export function uncommitted(entry: PartitionLedger, committedNow: bigint | undefined): Uncommitted {
  if (entry.ranges.length === 0) return { min: 0, max: 0, from: -1n };
  const lowest = entry.ranges.reduce((m, r) => (r.first < m ? r.first : m), entry.ranges[0].first);
  // The group resumed from the last commit that reached Kafka: between these two offsets.
  const earliest = entry.confirmed >= 0n ? entry.confirmed : lowest;
  let latest = entry.sent >= earliest ? entry.sent : earliest;
  if (committedNow !== undefined && committedNow >= 0n && committedNow < latest)
    latest = committedNow < earliest ? earliest : committedNow;
  return {
    min: spooledFrom(entry.ranges, latest, false),
    max: spooledFrom(entry.ranges, earliest, true),
    from: earliest,
  };
}

/** The ledger of one kafka_consumer instance, keyed by "topic/partition". */
export class SpooledLedger {
  private readonly file: string;
  private readonly partitions = new Map<string, PartitionLedger>();
  /** The file, open for rewriting in place (opened at the first write). */
  private fd: number | undefined;

  constructor(stateDir: string, fileName = 'kafka-spooled.json') {
    this.file = path.join(stateDir, fileName);
  }

  /** The entries a previous run left (none if the file is missing or unreadable); starts empty. */
  takeLeftover(): Map<string, PartitionLedger> {
    const out = new Map<string, PartitionLedger>();
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return out;
    }
    try {
      // The content ends at the first newline (a longer older content may follow it).
      const end = text.indexOf('\n');
      const saved = JSON.parse(end < 0 ? text : text.slice(0, end)) as Record<string, SavedPartition>;
      for (const [key, s] of Object.entries(saved)) {
        out.set(key, {
          ranges: s.ranges.map(([first, last, messages, acked]) => ({
            first: BigInt(first),
            last: BigInt(last),
            messages,
            acked,
          })),
          sent: BigInt(s.sent),
          confirmed: BigInt(s.confirmed),
        });
      }
    } catch {
      // A torn or foreign file (a machine crash before the write reached the disk): nothing usable.
    }
    return out;
  }

  private entry(key: string): PartitionLedger {
    let e = this.partitions.get(key);
    if (e === undefined) this.partitions.set(key, (e = { ranges: [], sent: -1n, confirmed: -1n }));
    return e;
  }

  /** A batch holding these offsets of a partition goes to the pipeline (not acknowledged yet). */
  pushed(key: string, range: SpooledRange): void {
    range.acked = false;
    this.entry(key).ranges.push(range);
  }

  /** The pipeline acknowledged pushed ranges: spooled (kept until committed) or not (forgotten). */
  acked(ranges: readonly [string, SpooledRange][], spooled: boolean): void {
    for (const [key, range] of ranges) {
      if (spooled) range.acked = true;
      else {
        const e = this.partitions.get(key);
        if (e !== undefined) e.ranges = e.ranges.filter((r) => r !== range);
      }
    }
  }

  /** A commit up to `next` (exclusive) is about to be sent. */
  sending(key: string, next: bigint): void {
    const e = this.entry(key);
    if (next > e.sent) e.sent = next;
  }

  /** Kafka confirmed a commit up to `next` (exclusive): what lies below is safe. */
  confirmed(key: string, next: bigint): void {
    const e = this.partitions.get(key);
    if (e === undefined) return;
    if (next > e.confirmed) e.confirmed = next;
    e.ranges = e.ranges.filter((r) => r.last >= next);
  }

  /** Forgets partitions this instance does not own any more (their commits settled or failed). */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const key of this.partitions.keys()) if (!keys.has(key)) this.partitions.delete(key);
  }

  /** Ranges waiting for a confirmed commit, over all partitions. */
  get pending(): number {
    let n = 0;
    for (const e of this.partitions.values()) n += e.ranges.length;
    return n;
  }

  /**
   * Rewrites the ledger in place (one write at offset 0, the content ended by a newline, then a
   * truncate: a kill between the two leaves the old tail after the newline), with an fdatasync when
   * `durable`: the write before a commit must survive the machine; the one before a push only the
   * process (the spool's own unsynced write would be lost with the machine too).
   */
  persist(durable = true): void {
    const out: Record<string, SavedPartition> = {};
    for (const [key, e] of this.partitions) {
      if (e.ranges.length === 0) continue;
      out[key] = {
        ranges: e.ranges.map((r) => [String(r.first), String(r.last), r.messages, r.acked]),
        sent: String(e.sent),
        confirmed: String(e.confirmed),
      };
    }
    if (this.fd === undefined) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      // Not truncated on open: a kill before the first write leaves the previous content.
      this.fd = fs.openSync(this.file, fs.constants.O_RDWR | fs.constants.O_CREAT);
    }
    const bytes = Buffer.from(JSON.stringify(out) + '\n');
    fs.writeSync(this.fd, bytes, 0, bytes.length, 0);
    fs.ftruncateSync(this.fd, bytes.length);
    if (durable) fs.fdatasyncSync(this.fd);
  }

  /** Closes the file (the next write opens it again). */
  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
