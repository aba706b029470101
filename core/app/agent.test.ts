/** The agent runs a processor's tick on the core's timer and routes what it returns down the chain. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../config/load.ts';
import { validateConfig } from '../config/validate.ts';
import { openDiskBuffer } from '../engine/buffer/disk/index.ts';
import { Telemetry } from '../engine/telemetry/telemetry.ts';
import { Metric } from '../model/metric/metric.ts';
import { createContainer } from '../plugin/context.ts';
import { defineOutput, defineProcessor } from '../plugin/define.ts';
import { Registry } from '../plugin/registry.ts';
import { Agent } from './agent.ts';

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('Agent with a ticking processor', () => {
  let dir = '';
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('should send what a tick returns through the processors after it to the outputs', async () => {
    const written: Metric[] = [];
    let ticks = 0;
    const registry = new Registry().register(
      defineProcessor({
        name: 'ticker',
        description: 'test processor that emits one metric per tick',
        config: z.strictObject({}),
        create: () => ({
          process: (ms: Metric[]) => ms,
          tickInterval: 5,
          tick: (now: number) => [new Metric('tick', {}, { n: ++ticks }, now)],
        }),
      }),
      defineProcessor({
        name: 'tagger',
        description: 'test processor that tags what it sees',
        config: z.strictObject({}),
        create: () => ({
          process: (ms: Metric[]) => {
            for (const m of ms) m.tags.tagged = 'yes';
            return ms;
          },
        }),
      }),
      defineOutput({
        name: 'sink',
        description: 'test output',
        config: z.strictObject({}),
        create: () => ({
          write: async (ms: Metric[]) => {
            written.push(...ms);
          },
        }),
      }),
    );
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-tick-'));
    const file = path.join(dir, 'viva.toml');
    fs.writeFileSync(
      file,
      `[agent]\nflush_interval = "10ms"\n[[processors.ticker]]\n[[processors.tagger]]\n[[outputs.sink]]\n`,
    );
    const log = pino({ level: 'silent' });
    const telemetry = new Telemetry('test');
    const agent = new Agent(validateConfig(loadConfig(file), registry), {
      container: createContainer({ logger: log, telemetry, dataDir: dir }),
      log,
      openDisk: openDiskBuffer,
    });
    await agent.start({ startInputs: false });
    try {
      await until(() => written.length >= 2);
      expect(written.slice(0, 2).map((m) => [m.name, m.tags.tagged, m.fields.n])).toEqual([
        ['tick', 'yes', 1],
        ['tick', 'yes', 2],
      ]);
    } finally {
      await agent.stop();
      await telemetry.shutdown();
    }
  });
});
