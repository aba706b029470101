/**
 * Kafka → a consumer group of N collectors → discard (the kafka-collectors-N scenarios). The
 * harness runs member 1 (the scenario's collector); prepare() fills the topic, starts members
 * 2..N with the same config on their own ports and directories, and samples every member's
 * /metrics each second (metrics consumed, partitions owned) and the group's consumer lag every 5 s
 * from the broker (log end offsets minus the group's committed offsets, in messages, as
 * `kafka-consumer-groups --describe` computes it). check() turns
 * the samples into the group's rate over the harness's window, the lag over time, each member's
 * share and peak RSS; cleanup() stops the extra members and deletes the topic.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentProcess, freePort, memMb } from './agent.ts';
import { Admin, ListOffsetTimestamps } from '@platformatic/kafka';
import { kafkaBrokers, prefilledTopic, type PrefillOptions } from './kafka.ts';
import { scrape, total, type Scrape } from './prom.ts';
import type { Env, Prepared, RunShape } from './scenarios.ts';

interface Sample {
  at: number;
  consumed: number[];
  lag: number;
  owned: number[];
}

const consumedOf = (s: Scrape): number => total(s, 'viva_input_gathered_total', 'plugin="kafka_consumer"');

/** `p`, or a rejection after `ms`. */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)),
  );
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The group's lag in messages: log end minus committed offset, summed over the partitions. */
async function groupLag(admin: Admin, topic: string, group: string, partitions: number): Promise<number> {
  const ends = await admin.listOffsets({
    topics: [
      {
        name: topic,
        partitions: Array.from({ length: partitions }, (_, i) => ({
          partitionIndex: i,
          timestamp: ListOffsetTimestamps.LATEST,
        })),
      },
    ],
  });
  const [committed] = await admin.listConsumerGroupOffsets({ groups: [group] });
  const done = new Map<number, bigint>();
  for (const t of committed?.topics ?? [])
    if (t.name === topic) for (const p of t.partitions) done.set(p.partitionIndex, p.committedOffset);
  let lag = 0n;
  for (const t of ends)
    for (const p of t.partitions) {
      const c = done.get(p.partitionIndex) ?? -1n;
      lag += p.offset - (c < 0n ? 0n : c);
    }
  return Number(lag);
}
const ownedOf = (s: Scrape): number => total(s, 'viva_input_kafka_consumer_kafka_partitions_owned');

/** The prepare() of a group of `members` collectors, each running `config(env)`. */
export function kafkaGroup(
  members: number,
  fill: PrefillOptions,
  config: (env: Env) => string,
): (env: Env, run: RunShape) => Promise<Prepared> {
  return async (env, run) => {
    const prefilled = await prefilledTopic(run, fill);
    const extra: { proc: AgentProcess; admin: number }[] = [];
    const samples: Sample[] = [];
    let sampling = true;
    const admins = [env.collectorAdminPort];
    try {
      for (let i = 2; i <= members; i++) {
        const dir = path.join(env.dir, `member-${i}`);
        fs.mkdirSync(dir, { recursive: true });
        const admin = await freePort();
        const proc = await AgentProcess.start({
          configText: config({
            ...env,
            dir,
            vars: prefilled.vars ?? {},
            collectorPort: await freePort(),
            collectorAdminPort: admin,
          }),
          dir,
          adminPort: admin,
          nodeFlags: [],
          command: 'collector',
        });
        extra.push({ proc, admin });
        admins.push(admin);
      }
    } catch (e) {
      for (const m of extra) await m.proc.stop();
      await prefilled.cleanup?.();
      throw e;
    }
    const { topic, group } = prefilled.vars ?? {};
    const admin = new Admin({ clientId: 'viva-bench-lag', bootstrapBrokers: kafkaBrokers() });
    const lags: { at: number; lag: number }[] = [];
    let lastLag = NaN;
    // The lag every 5 s, in its own loop: a slow broker answer must not stall the scrapes.
    const lagLoop = (async () => {
      while (sampling) {
        const at = performance.now();
        lastLag = await within(4000, groupLag(admin, topic, group, fill.partitions)).catch(() => NaN);
        lags.push({ at, lag: lastLag });
        await sleep(Math.max(0, 5000 - (performance.now() - at)));
      }
    })();
    // A member that does not answer in time keeps its last values (the machine is busy).
    let last: Scrape[] = admins.map(() => []);
    const sampler = (async () => {
      while (sampling) {
        last = await Promise.all(
          admins.map((a, i) => within(3000, scrape(`http://127.0.0.1:${a}/metrics`)).catch(() => last[i])),
        );
        samples.push({
          at: performance.now(),
          consumed: last.map(consumedOf),
          lag: lastLag,
          owned: last.map(ownedOf),
        });
        await sleep(1000);
      }
    })();
    return {
      vars: prefilled.vars,
      fields: { ...prefilled.fields, group_members: members },
      async check(m) {
        const end = samples[samples.length - 1];
        const startAt = end.at - run.durationS * 1000;
        const start = samples.reduce((best, s) =>
          Math.abs(s.at - startAt) < Math.abs(best.at - startAt) ? s : best,
        );
        const secs = (end.at - start.at) / 1000;
        const perMember = end.consumed.map((c, i) => Math.round((c - start.consumed[i]) / secs));
        const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
        const base = (await prefilled.check?.(m)) ?? { fields: {} };
        const prefilledMetrics = Number(prefilled.fields?.kafka_prefilled_metrics ?? Infinity);
        const ranDry = sum(end.consumed) >= prefilledMetrics;
        return {
          fields: {
            ...base.fields,
            events_per_s: sum(perMember),
            member_events_per_s: perMember,
            partitions_owned: end.owned,
            kafka_ran_dry: ranDry,
            // The group's lag in messages (of fill.lines metrics each), every 5 s of the window.
            lag_messages_by_5s: lags
              .filter((l) => l.at >= start.at - 2500 && l.at <= end.at)
              .map((l) => l.lag),
            extra_members_peak_rss_mb: extra.map((x) => Math.round(memMb(x.proc.pid, 'VmHWM'))),
          },
          invalid: ranDry
            ? 'the group read the whole pre-filled topic before the window ended: raise maxRate'
            : base.invalid?.includes('warmup') === true
              ? base.invalid
              : undefined,
        };
      },
      async cleanup() {
        sampling = false;
        await Promise.all([sampler, lagLoop]);
        await admin.close().catch(() => undefined);
        for (const x of extra) await x.proc.stop();
        await prefilled.cleanup?.();
      },
    };
  };
}
