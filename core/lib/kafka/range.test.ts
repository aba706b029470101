import { describe, expect, it } from 'vitest';
import { rangeOffsets } from './range.ts';

/** A broker's ListOffsets: log end without a timestamp, else the first offset at or after it (-1: none). */
function broker(records: number[][]): Parameters<typeof rangeOffsets>[0] {
  return {
    listOffsets: (o: { topics: string[]; timestamp?: bigint }) =>
      Promise.resolve(
        new Map([
          [
            o.topics[0],
            records.map((times) => {
              if (o.timestamp === undefined) return BigInt(times.length);
              const i = times.findIndex((t) => BigInt(t) >= (o.timestamp as bigint));
              return BigInt(i);
            }),
          ],
        ]),
      ),
  } as unknown as Parameters<typeof rangeOffsets>[0];
}

describe('kafka range offsets by time', () => {
  it('should read each partition from the first record at since to the first record after until', async () => {
    const ranges = await rangeOffsets(broker([[10, 20, 30, 40], [5, 25], []]), 't', 20, 30);
    expect(ranges).toEqual([
      { partition: 0, start: 1n, end: 3n },
      { partition: 1, start: 1n, end: 2n },
      { partition: 2, start: 0n, end: 0n },
    ]);
  });

  it('should read to the log end when no record is after until, and nothing when none is after since', async () => {
    const ranges = await rangeOffsets(
      broker([
        [10, 20],
        [1, 2],
      ]),
      't',
      15,
      100,
    );
    expect(ranges).toEqual([
      { partition: 0, start: 1n, end: 2n },
      { partition: 1, start: 2n, end: 2n },
    ]);
  });
});
