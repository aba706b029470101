import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/plugin/testing.ts';
import { CommitTracker } from './commits.ts';
import { kafkaConsumerInput } from './index.ts';

// The consumer itself runs against the real broker in test/integration/kafka.test.ts.

describe('CommitTracker', () => {
  it('should commit a partition only up to the end of its contiguous acknowledged batches', () => {
    const t = new CommitTracker();
    const commits: string[] = [];
    const batch = (offset: number, partitions = ['p0']): ReturnType<CommitTracker['begin']> => {
      const b = t.begin();
      for (const p of partitions) t.add(b, p, () => commits.push(`${p}@${offset}`));
      return b;
    };
    const b1 = batch(10);
    const b2 = batch(20);
    const b3 = batch(30);
    t.ack(b2);
    expect(commits).toEqual([]);
    t.ack(b1);
    expect(commits).toEqual(['p0@20']);
    t.ack(b3);
    expect(commits).toEqual(['p0@20', 'p0@30']);
    expect(t.pending).toBe(0);
  });

  it('should keep partitions independent within one batch', () => {
    const t = new CommitTracker();
    const commits: string[] = [];
    const b1 = t.begin();
    t.add(b1, 'p0', () => commits.push('p0@1'));
    const b2 = t.begin();
    t.add(b2, 'p0', () => commits.push('p0@2'));
    t.add(b2, 'p1', () => commits.push('p1@2'));
    t.ack(b2);
    expect(commits).toEqual(['p1@2']);
    t.ack(b1);
    expect(commits).toEqual(['p1@2', 'p0@2']);
  });

  it('should not commit batches acknowledged after a reset (a rebalance)', () => {
    const t = new CommitTracker();
    const commits: string[] = [];
    const old = t.begin();
    t.add(old, 'p0', () => commits.push('old'));
    t.reset();
    t.ack(old);
    expect(commits).toEqual([]);
  });
});

describe('kafka_consumer config', () => {
  it('should need topics or a topic_pattern', () => {
    expect(kafkaConsumerInput.config.safeParse({ brokers: ['127.0.0.1:9092'], topics: [] }).success).toBe(
      false,
    );
    expect(
      kafkaConsumerInput.config.safeParse({ brokers: ['127.0.0.1:9092'], topics: [], topic_pattern: '^m' })
        .success,
    ).toBe(true);
  });

  it('should refuse an invalid topic_pattern and SASL without a user', () => {
    expect(
      kafkaConsumerInput.config.safeParse({ brokers: ['h:1'], topics: ['t'], topic_pattern: '(' }).success,
    ).toBe(false);
    expect(
      kafkaConsumerInput.config.safeParse({ brokers: ['h:1'], topics: ['t'], sasl_mechanism: 'PLAIN' })
        .success,
    ).toBe(false);
  });

  it('should default to reading a new group from the oldest offset, 1000 undelivered messages at most', () => {
    const cfg = parseConfig(kafkaConsumerInput, { brokers: ['h:1'], topics: ['t'] });
    expect(cfg).toMatchObject({
      offset: 'oldest',
      max_undelivered_messages: 1000,
      consumer_group: 'viva',
      session_timeout: 10_000,
    });
  });
});
