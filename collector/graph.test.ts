import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../core/config/load.ts';
import { validateConfig } from '../core/config/validate.ts';
import { Telemetry } from '../core/engine/telemetry/telemetry.ts';
import { ErrorCode } from '../core/model/errors/codes.ts';
import { createContainer } from '../core/plugin/context.ts';
import { defineOutput, defineProcessor } from '../core/plugin/define.ts';
import { Registry } from '../core/plugin/registry.ts';
import { collectorSections, crossCheck, type CollectorConfig } from './config.ts';
import { buildCollectorGraph, type CollectorGraphServices } from './graph.ts';
import { openSpool } from './spool/testing.ts';

const closed: string[] = [];
const registry = new Registry().register(
  defineOutput({
    name: 'sink',
    description: 'test sink',
    config: z.strictObject({}),
    create: (_c, ctx) => ({
      write: async () => undefined,
      close: async () => void closed.push(ctx.id.alias ?? ''),
    }),
  }),
  defineProcessor({
    name: 'pass',
    description: 'test processor',
    config: z.strictObject({}),
    create: () => ({ process: (ms) => ms }),
  }),
);

const CONFIG = `
[[routes]]
name = "cpu"
namepass = ["cpu*"]
processors = ["p1"]
destinations = ["tsdb", "archive"]
continue = true

[[routes]]
name = "all"
destinations = ["archive"]

[[destinations]]
name = "tsdb"
outputs = ["a", "b"]

[[destinations]]
name = "archive"
outputs = ["c"]

[[processors.pass]]
alias = "p1"

[[outputs.sink]]
alias = "a"
[[outputs.sink]]
alias = "b"
[[outputs.sink]]
alias = "c"
`;

let dir = '';
afterEach(() => {
  if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  dir = '';
  closed.length = 0;
});

function setup(): { cfg: CollectorConfig; services: CollectorGraphServices; close: () => Promise<void> } {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-graph-'));
  const file = path.join(dir, 'collector.toml');
  fs.writeFileSync(file, `[agent]\ndata_dir = "${dir}"\n${CONFIG}`);
  const cfg = crossCheck(validateConfig(loadConfig(file), registry, collectorSections));
  const log = pino({ level: 'silent' });
  const telemetry = new Telemetry('test');
  const spool = openSpool(path.join(dir, 'spool'));
  const services: CollectorGraphServices = {
    container: createContainer({ logger: log, telemetry, dataDir: dir }),
    log,
    telemetry,
    reader: (d) => spool.reader(d.name, d.start_at),
    sink: () => ({ push: () => true, saturated: false, waitForCapacity: () => Promise.resolve() }),
    deadLetterDir: path.join(dir, 'dead-letter'),
  };
  return { cfg, services, close: () => spool.close() };
}

describe("the collector's pipeline graph", () => {
  it('should have a reader, one chain per route and destination, and the outputs of each destination', async () => {
    const { cfg, services, close } = setup();
    const g = await buildCollectorGraph(cfg, services);
    // The spool node has no inputs sending to it here: a root, like the readers.
    expect(g.graph.layers.map((l) => l.map((n) => n.id).sort())).toEqual([
      ['spool', 'spool:archive', 'spool:tsdb'],
      ['route:all#1@archive', 'route:cpu#0@archive', 'route:cpu#0@tsdb'],
      ['destination:archive', 'destination:tsdb'],
    ]);
    expect(g.destinations.map((d) => d.name)).toEqual(['tsdb', 'archive']);
    await g.graph.start();
    expect(g.destinations.map((d) => d.health().state)).toEqual(['ok', 'ok']);
    await g.graph.stop();
    // Stopping the sinks closed every output.
    expect(closed.sort()).toEqual(['a', 'b', 'c']);
    await close();
  });

  it('should refuse a route to a destination that does not exist with a coded error naming it', async () => {
    const { cfg, services, close } = setup();
    const routes = [...cfg.routes, { ...cfg.routes[1], name: 'lost', destinations: ['nowhere'] }];
    await expect(buildCollectorGraph({ ...cfg, routes }, services)).rejects.toMatchObject({
      code: ErrorCode.GRAPH_INVALID,
      message: expect.stringContaining(
        '"route:lost#2@nowhere" sends to "destination:nowhere", which does not exist',
      ),
    });
    // Refused at the plan step: no output was even created.
    expect(closed).toEqual([]);
    await close();
  });

  it('should close what it created when a destination names an output that does not exist', async () => {
    const { cfg, services, close } = setup();
    const destinations = cfg.destinations.map((d) =>
      d.name === 'tsdb' ? { ...d, outputs: ['a', 'missing'] } : d,
    );
    await expect(buildCollectorGraph({ ...cfg, destinations }, services)).rejects.toMatchObject({
      code: ErrorCode.GRAPH_INVALID,
      message: expect.stringContaining('destination "tsdb" names output "missing"'),
    });
    expect(closed.sort()).toEqual(['a', 'c']);
    await close();
  });
});
