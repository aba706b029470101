/**
 * What a member of a consumer group reports and remembers about its group: partitions owned,
 * rebalances, consumer lag per partition (log end offset minus the group's committed offset, what
 * `kafka-consumer-groups --describe` shows), and the highest offset it already took per partition,
 * so that a message read again after a rebalance or a reconnect is recognised, counted and not
 * pushed twice. Also starts a new group at a point in time (the offsets a timestamp lookup gives).
 */
import type { Admin, Consumer } from '@platformatic/kafka';
import type { PluginContext } from '../../../core/plugin/types.ts';

type AnyConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Self-metrics and redelivery memory of one kafka_consumer instance. */
export class GroupStats {
  private readonly ctx: PluginContext;
  private readonly rebalanced: (value?: number) => void;
  private readonly redelivered: (value?: number, attrs?: Record<string, string>) => void;
  private readonly owned: (value: number) => void;
  private readonly lag: (value: number, attrs?: Record<string, string>) => void;
  /** Highest offset pushed per "topic/partition", kept across rejoins (not across restarts). */
  private readonly highest = new Map<string, bigint>();
  /** "topic/partition" of the current assignment; undefined until the first join. */
  private mine: Set<string> | undefined;
  /** Partitions whose lag gauge was set (set to 0 once no longer owned). */
  private lagged = new Set<string>();

  constructor(ctx: PluginContext) {
    this.ctx = ctx;
    this.rebalanced = ctx.metrics.counter('kafka_rebalances', 'Group rebalances this member took part in');
    this.redelivered = ctx.metrics.counter(
      'kafka_redelivered_messages',
      'Messages read again at offsets this member had already taken (after a rebalance or a reconnect): counted, not pushed twice',
    );
    this.owned = ctx.metrics.gauge('kafka_partitions_owned', 'Partitions assigned to this member');
    this.lag = ctx.metrics.gauge(
      'kafka_lag_messages',
      "Messages of an owned partition after the group's committed offset (log end offset - committed offset)",
    );
  }

  /** Counts a rebalance. */
  rebalance(): void {
    this.rebalanced();
  }

  /**
   * Whether a message is new to this member (and remembers it); a message at or below the highest
   * offset already taken from its partition is counted as redelivered.
   */
  fresh(topic: string, partition: number, offset: bigint): boolean {
    const key = `${topic}/${partition}`;
    const top = this.highest.get(key);
    if (top !== undefined && offset <= top) {
      this.redelivered(1, { topic, partition: String(partition) });
      return false;
    }
    this.highest.set(key, offset);
    return true;
  }

  /**
   * Forgets the highest offsets of partitions this member does not own any more: if one comes back
   * later, another member may have moved it on, and its messages are new again.
   */
  keepOnly(assignments: readonly { topic: string; partitions: number[] }[]): void {
    const mine = new Set(assignments.flatMap((a) => a.partitions.map((p) => `${a.topic}/${p}`)));
    for (const key of this.highest.keys()) if (!mine.has(key)) this.highest.delete(key);
    this.mine = mine;
  }

  /**
   * Whether a message's partition is this member's (true before the first join). The client may
   * still hold messages it fetched for a partition the last rebalance gave to another member:
   * pushing and committing those could move that member's offset back, so they are left to it.
   */
  owns(topic: string, partition: number): boolean {
    return this.mine === undefined || this.mine.has(`${topic}/${partition}`);
  }

  /**
   * Whether a partition is in the current assignment; undefined between a reset and the next join
   * (what this member took before is forgotten: if it gets the partition again, it pushes again).
   */
  assigned(topic: string, partition: number): boolean | undefined {
    return this.mine?.has(`${topic}/${partition}`);
  }

  /** Forgets the assignment and the offsets taken (a reconnect: the next join sets them again). */
  reset(): void {
    this.highest.clear();
    this.mine = undefined;
  }

  /** Publishes partitions owned and the lag of each (one ListOffsets and one OffsetFetch). */
  async publish(consumer: AnyConsumer): Promise<void> {
    const assignments = consumer.assignments ?? [];
    this.owned(assignments.reduce((n, a) => n + a.partitions.length, 0));
    const now = new Set<string>();
    if (assignments.length > 0) {
      try {
        const latest = await consumer.listOffsets({ topics: assignments.map((a) => a.topic) });
        const committed = await consumer.listCommittedOffsets({ topics: assignments });
        for (const a of assignments) {
          const ends = latest.get(a.topic) ?? [];
          const done = committed.get(a.topic) ?? [];
          for (const p of a.partitions) {
            const end = ends[p];
            if (end === undefined) continue;
            const c = done[p];
            const lag = c === undefined || c < 0n ? end : end - c;
            this.lag(Number(lag < 0n ? 0n : lag), { topic: a.topic, partition: String(p) });
            now.add(`${a.topic}/${p}`);
          }
        }
      } catch (e) {
        this.ctx.log.debug({ err: errText(e) }, 'kafka lag lookup failed');
        return;
      }
    }
    for (const key of this.lagged) {
      if (now.has(key)) continue;
      const cut = key.lastIndexOf('/');
      this.lag(0, { topic: key.slice(0, cut), partition: key.slice(cut + 1) });
    }
    this.lagged = now;
  }
}

/**
 * Gives a group that has no committed offset on `topics` the offsets of the first records at or
 * after `timeMs` (ListOffsets by timestamp; the log end where no record is that recent), as
 * `kafka-consumer-groups --reset-offsets --to-datetime` would. A group that already has offsets
 * (it ran before, or another member got there first) is left alone: the option only places a new
 * group. Returns whether it placed the group.
 */
export async function startGroupAt(
  consumer: AnyConsumer,
  admin: Admin,
  group: string,
  topics: string[],
  timeMs: number,
): Promise<boolean> {
  const [existing] = await admin.listConsumerGroupOffsets({ groups: [group] });
  const hasOffsets = (existing?.topics ?? []).some(
    (t) => topics.includes(t.name) && t.partitions.some((p) => p.committedOffset >= 0n),
  );
  if (hasOffsets) return false;
  const atTime = await consumer.listOffsets({ topics, timestamp: BigInt(Math.floor(timeMs)) });
  const ends = await consumer.listOffsets({ topics });
  await admin.alterConsumerGroupOffsets({
    groupId: group,
    topics: topics.map((name) => ({
      name,
      partitionOffsets: (atTime.get(name) ?? []).map((offset, partition) => ({
        partition,
        offset: offset >= 0n ? offset : (ends.get(name)?.[partition] ?? 0n),
      })),
    })),
  });
  return true;
}
