import { describe, expect, it } from 'vitest';
import { ProtocolError } from '@platformatic/kafka';
import { parseConfig } from '../../../core/plugin/testing.ts';
import { kafkaOutput } from './index.ts';
import { sendError, sendInRequests } from './kafka.ts';
import type { Outgoing } from './messages.ts';

// Producing runs against the real broker in test/integration/kafka.test.ts.

describe('kafka output errors', () => {
  it('should refuse for good a message the broker finds too large', () => {
    expect(sendError(new ProtocolError('MESSAGE_TOO_LARGE')).kind).toBe('permanent');
  });

  it('should retry everything else', () => {
    expect(sendError(new ProtocolError('NOT_LEADER_OR_FOLLOWER')).kind).toBe('retryable');
    expect(sendError(new Error('connect ECONNREFUSED')).kind).toBe('retryable');
  });
});

describe('kafka output config', () => {
  it('should default to acks=all, an idempotent producer and series keys', () => {
    const cfg = parseConfig(kafkaOutput, { brokers: ['127.0.0.1:9092'], topic: 't' });
    expect(cfg).toMatchObject({
      acks: 'all',
      idempotent: true,
      routing_key: 'series',
      batch_per_message: false,
      compression: 'none',
      data_format: 'influx',
    });
  });

  it('should refuse brokers that are not host:port', () => {
    expect(kafkaOutput.config.safeParse({ brokers: ['kafka'], topic: 't' }).success).toBe(false);
  });
});

describe('kafka produce requests', () => {
  const outgoing = (n: number, bytes: number): Outgoing[] =>
    Array.from({ length: n }, (_, i) => ({
      message: { topic: 't', value: Buffer.alloc(1) },
      metrics: i,
      bytes,
    }));

  it('should keep each produce request under max_message_bytes', async () => {
    const sizes: number[] = [];
    await sendInRequests(
      { send: async (o: { messages: unknown[] }) => void sizes.push(o.messages.length) } as never,
      outgoing(10, 300),
      1000,
      10,
    );
    expect(sizes).toEqual([3, 3, 3, 1]);
  });

  it('should hand the unsent rest back as a partial write when a later request fails', async () => {
    let calls = 0;
    const send = async (): Promise<void> => {
      if (++calls === 2) throw new ProtocolError('NOT_LEADER_OR_FOLLOWER');
    };
    const err = await sendInRequests({ send } as never, outgoing(6, 400), 1000, 6).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'partial', retry: [2, 3, 4, 5], rejected: [] });
  });

  it('should reject the metrics of a request refused for good and send the rest', async () => {
    let calls = 0;
    const send = async (): Promise<void> => {
      if (++calls === 1) throw new ProtocolError('MESSAGE_TOO_LARGE');
    };
    const err = await sendInRequests({ send } as never, outgoing(4, 600), 1000, 4).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'partial', retry: [] });
    expect((err as { rejected: { index: number }[] }).rejected.map((r) => r.index)).toEqual([0]);
    expect(calls).toBe(4);
  });
});
