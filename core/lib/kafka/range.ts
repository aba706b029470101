/**
 * Reads the records of a topic between two record timestamps, for `viva replay kafka`. The bounds
 * become offsets by ListOffsets by timestamp (the first record at or after `since`, the first record
 * after `until`, the log end where there is none), then each partition is read from its start to its
 * end offset and the reading stops: a finished range, not a subscription. Record timestamps are
 * only a way to find offsets (CreateTime is the producer's clock and need not grow with the offset):
 * the replay filters the metrics by their own time afterwards.
 * The reader is a consumer of a throwaway group that commits nothing, so it disturbs no collector.
 */
import { Consumer } from '@platformatic/kafka';
import type { BaseOptions, Message, MessagesStream } from '@platformatic/kafka';

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** Where one partition's range starts and ends (end exclusive). */
export interface PartitionRange {
  partition: number;
  start: bigint;
  end: bigint;
}

/** Offsets of [sinceMs, untilMs] per partition, by ListOffsets by timestamp. */
export async function rangeOffsets(
  consumer: Pick<Consumer<Buffer, Buffer, Buffer, Buffer>, 'listOffsets'>,
  topic: string,
  sinceMs: number,
  untilMs: number,
): Promise<PartitionRange[]> {
  const logEnd = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
  const from = (await consumer.listOffsets({ topics: [topic], timestamp: BigInt(Math.floor(sinceMs)) })).get(
    topic,
  );
  const to =
    untilMs === Infinity
      ? undefined
      : (await consumer.listOffsets({ topics: [topic], timestamp: BigInt(Math.floor(untilMs) + 1) })).get(
          topic,
        );
  return logEnd.map((end, partition) => {
    const start = from?.[partition] ?? -1n;
    const stop = to?.[partition] ?? -1n;
    const e = stop >= 0n ? stop : end;
    return { partition, start: start >= 0n ? start : e, end: e };
  });
}

/** Options of a range read. */
export interface RangeReadOptions {
  client: BaseOptions;
  topic: string;
  sinceMs: number;
  untilMs: number;
  /** Called once the offsets are known (for a log line). */
  onRanges?: (ranges: PartitionRange[]) => void;
  /**
   * Ends the read when nothing came for this long although offsets remain (the last offsets of a
   * partition can be transaction markers, which are never delivered); default 15 s.
   */
  idleMs?: number;
  /** Called when the read ends on idleMs with partitions unfinished. */
  onIdle?: (unfinished: PartitionRange[]) => void;
}

const IDLE_MS = 15_000;

/** The next item, or 'idle' when none came within ms. */
async function nextWithin<T>(it: AsyncIterator<T>, ms: number): Promise<IteratorResult<T> | 'idle'> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), ms)));
  try {
    return await Promise.race([it.next(), idle]);
  } finally {
    clearTimeout(timer);
  }
}

/** The messages of the range, partition by partition interleaved as fetched, then done. */
export async function* readRange(o: RangeReadOptions): AsyncGenerator<KafkaMessage> {
  const consumer = new Consumer({
    ...o.client,
    groupId: `viva-replay-${process.pid}-${Date.now()}`,
    autocommit: false,
  });
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  try {
    const ranges = await rangeOffsets(consumer, o.topic, o.sinceMs, o.untilMs);
    o.onRanges?.(ranges);
    const open = new Map(ranges.filter((r) => r.start < r.end).map((r) => [r.partition, r]));
    if (open.size === 0) return;
    stream = await consumer.consume({
      topics: [o.topic],
      mode: 'manual',
      offsets: ranges.map((r) => ({ topic: o.topic, partition: r.partition, offset: r.start })),
      autocommit: false,
    });
    const it = (stream as AsyncIterable<KafkaMessage>)[Symbol.asyncIterator]();
    for (;;) {
      const next = await nextWithin(it, o.idleMs ?? IDLE_MS);
      if (next === 'idle') {
        o.onIdle?.([...open.values()]);
        break;
      }
      if (next.done === true) break;
      const m = next.value;
      const r = open.get(m.partition);
      if (r === undefined || m.offset >= r.end) continue;
      yield m;
      if (m.offset + 1n >= r.end) {
        open.delete(m.partition);
        if (open.size === 0) break;
      }
    }
  } finally {
    if (stream !== undefined && !stream.destroyed) await stream.close().catch(() => undefined);
    await consumer.close(true).catch(() => undefined);
  }
}
