import { describe, expect, it } from 'vitest';
import { Telemetry } from '../../../core/engine/telemetry/telemetry.ts';
import { testContext } from '../../../core/plugin/testing.ts';
import { GroupStats } from './group.ts';
import { kafkaConsumerInput } from './index.ts';

async function counter(t: Telemetry, name: string): Promise<number> {
  return (await t.snapshot()).filter((m) => m.name === name).reduce((n, m) => n + Number(m.fields.value), 0);
}

describe('kafka_consumer group memory', () => {
  it('should count a message read again at an offset already taken, and not take it twice', async () => {
    const telemetry = new Telemetry('viva-test');
    const stats = new GroupStats(testContext(kafkaConsumerInput, { telemetry }));
    expect(stats.fresh('t', 0, 10n)).toBe(true);
    expect(stats.fresh('t', 0, 11n)).toBe(true);
    expect(stats.fresh('t', 1, 5n)).toBe(true);
    // A rebalance hands partition 0 back: the client reads from the committed offset again.
    expect(stats.fresh('t', 0, 10n)).toBe(false);
    expect(stats.fresh('t', 0, 11n)).toBe(false);
    expect(stats.fresh('t', 0, 12n)).toBe(true);
    expect(await counter(telemetry, 'viva_input_kafka_consumer_kafka_redelivered_messages')).toBe(2);
  });

  it('should forget a partition that moved to another member, and leave its messages to it', () => {
    const stats = new GroupStats(testContext(kafkaConsumerInput));
    expect(stats.owns('t', 3)).toBe(true); // before the first join: everything
    stats.fresh('t', 0, 100n);
    stats.fresh('t', 1, 100n);
    stats.keepOnly([{ topic: 't', partitions: [1] }]);
    expect(stats.owns('t', 0)).toBe(false);
    expect(stats.owns('t', 1)).toBe(true);
    // Partition 0 comes back later: another member may have moved it on, its messages are new.
    stats.keepOnly([{ topic: 't', partitions: [0, 1] }]);
    expect(stats.fresh('t', 0, 50n)).toBe(true);
    expect(stats.fresh('t', 1, 50n)).toBe(false);
  });

  it('should tell an assigned partition from one moved away, and know nothing after a reset', () => {
    const stats = new GroupStats(testContext(kafkaConsumerInput));
    expect(stats.assigned('t', 0)).toBeUndefined();
    stats.keepOnly([{ topic: 't', partitions: [1] }]);
    expect(stats.assigned('t', 0)).toBe(false);
    expect(stats.assigned('t', 1)).toBe(true);
    stats.reset();
    expect(stats.assigned('t', 1)).toBeUndefined();
  });
});
