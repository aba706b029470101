/**
 * Kafka → a consumer group of N collectors → discard (the kafka-collectors-N scenarios). The
 * harness runs member 1 (the scenario's collector); prepare() fills the topic, starts members
 * 2..N with the same config on their own ports and directories, and samples every member's
 * /metrics each second: metrics consumed, partitions owned and the group's consumer lag (the
 * kafka_consumer's lag gauge, log end minus committed offset, published every 5 s). check() turns
 * the samples into the group's rate over the harness's window, the lag over time, each member's
 * share and peak RSS; cleanup() stops the extra members and deletes the topic.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentProcess, freePort, memMb } from './agent.ts';
import { prefilledTopic, type PrefillOptions } from './kafka.ts';
import { scrape, total, type Scrape } from './prom.ts';
import type { Env, Prepared, RunShape } from './scenarios.ts';

interface Sample {
  at: number;
  consumed: number[];
  lag: number;
  owned: number[];
}

const consumedOf = (s: Scrape): number => total(s, 'viva_input_gathered_total', 'plugin="kafka_consumer"');
const lagOf = (s: Scrape): number => total(s, 'viva_input_kafka_consumer_kafka_lag_messages');
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
    const sampler = (async () => {
      while (sampling) {
        const scrapes = await Promise.all(
          admins.map((a) => scrape(`http://127.0.0.1:${a}/metrics`).catch((): Scrape => [])),
        );
        samples.push({
          at: performance.now(),
          consumed: scrapes.map(consumedOf),
          lag: scrapes.reduce((n, s) => n + lagOf(s), 0),
          owned: scrapes.map(ownedOf),
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
        const inWindow = samples.filter((s) => s.at >= start.at && s.at <= end.at);
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
            lag_messages_by_5s: inWindow.filter((_, i) => i % 5 === 0).map((s) => s.lag),
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
        await sampler;
        for (const x of extra) await x.proc.stop();
        await prefilled.cleanup?.();
      },
    };
  };
}
