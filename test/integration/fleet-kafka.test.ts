/**
 * Several collectors, one fleet: two real `viva collector`s share heartbeats through a compacted
 * topic on the real Kafka of scripts/services.sh. An agent heartbeating to one is listed by the
 * other, with its later heartbeats; a replica started afresh (no state file) learns the whole
 * fleet from the topic.
 */
import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentStatus, FleetPage } from '../../collector/fleet/types.ts';
import { collectorConfig, startCollector, type CollectorHandle } from '../helpers/collector.ts';
import { tempDir, waitFor } from '../helpers/viva.ts';
import { serviceAddresses } from '../setup/services.ts';

const { kafkaBrokers } = serviceAddresses();
const TOKEN = 'fleet-kafka-token-0123456789';
const ADMIN = 'fleet-kafka-admin-0123456789';
const running: CollectorHandle[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.proc.child.exitCode === null) c.proc.child.kill('SIGKILL');
});

async function replica(topic: string): Promise<CollectorHandle> {
  const cfg = await collectorConfig(tempDir('viva-fleet-kafka-'), '', {
    agent: `http_auth_token = "${ADMIN}"`,
    collector: `[collector.tokens]
agents = "${TOKEN}"

[collector.fleet.kafka]
brokers = ${JSON.stringify(kafkaBrokers)}
topic = "${topic}"
flush_interval = "50ms"`,
  });
  const c = await startCollector(cfg);
  running.push(c);
  await waitFor(
    () => c.proc.stderr().includes('sharing heartbeats through kafka'),
    'kafka sharing to start',
    60_000,
  );
  return c;
}

async function agentIn(c: CollectorHandle, id: string): Promise<AgentStatus | undefined> {
  const res = await fetch(`http://127.0.0.1:${c.admin}/api/fleet?filter=${id}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  return ((await res.json()) as FleetPage).agents.find((a) => a.id === id);
}

async function heartbeat(c: CollectorHandle, id: string, rateIn: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${c.port}/v1/heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({
      id,
      host: `${id}.lan`,
      version: '0.1.0',
      configHash: 'h',
      startedAt: Date.now() - 1000,
      uptimeSeconds: 1,
      intervalSeconds: 10,
      rateIn,
    }),
  });
  return res.status;
}

describe('fleet shared through kafka', () => {
  it('should list on every replica an agent that heartbeats to one, and teach a fresh replica the whole fleet', async () => {
    const topic = `viva-fleet-${randomUUID().slice(0, 8)}`;
    const a = await replica(topic);
    const b = await replica(topic);
    expect(await heartbeat(a, 'shared-1', 5)).toBe(204);
    expect(await heartbeat(b, 'shared-2', 7)).toBe(204);
    await waitFor(
      async () => (await agentIn(b, 'shared-1'))?.rateIn === 5,
      'replica b to list shared-1',
      60_000,
    );
    await waitFor(
      async () => (await agentIn(a, 'shared-2'))?.rateIn === 7,
      'replica a to list shared-2',
      60_000,
    );
    expect((await agentIn(b, 'shared-1'))?.health).toBe('healthy');

    // A later heartbeat to a replaces what b held.
    expect(await heartbeat(a, 'shared-1', 9)).toBe(204);
    await waitFor(async () => (await agentIn(b, 'shared-1'))?.rateIn === 9, 'the newer record on b', 60_000);

    const c = await replica(topic);
    await waitFor(
      async () =>
        (await agentIn(c, 'shared-1'))?.rateIn === 9 && (await agentIn(c, 'shared-2'))?.rateIn === 7,
      'a fresh replica to learn the fleet from the topic',
      60_000,
    );

    // Stopping flushes and closes the Kafka clients: a clean exit.
    c.proc.child.kill('SIGTERM');
    expect(await c.proc.exited).toBe(0);

    const admin = new Admin({ clientId: 'viva-test', bootstrapBrokers: kafkaBrokers });
    try {
      const configs = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: topic }] });
      const policy = configs[0].configs.find((e) => e.name === 'cleanup.policy');
      expect(policy?.value).toBe('compact');
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.close();
    }
  });
});
