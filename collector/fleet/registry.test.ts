import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import { fleetSection } from './config.ts';
import { heartbeatSchema, type Heartbeat } from './heartbeat.ts';
import { FleetRegistry } from './registry.ts';

const log = pino({ level: 'silent' });
const T0 = 1_800_000_000_000;
const registries: FleetRegistry[] = [];
afterEach(() => {
  for (const r of registries.splice(0)) r.close();
});

function make(opts: { file?: string; settings?: Record<string, unknown>; telemetry?: Telemetry } = {}) {
  const clock = { t: T0, now: () => clock.t };
  const reg = new FleetRegistry({
    settings: fleetSection.parse(opts.settings ?? {}),
    file: opts.file,
    telemetry: opts.telemetry ?? new Telemetry(),
    log,
    clock,
  });
  registries.push(reg);
  return { reg, clock };
}

function hb(id: string, over: Partial<Record<keyof Heartbeat, unknown>> = {}): Heartbeat {
  return heartbeatSchema.parse({
    id,
    host: `${id}.example`,
    version: '0.1.0',
    configHash: 'abc',
    startedAt: T0 - 60_000,
    uptimeSeconds: 60,
    intervalSeconds: 10,
    ...over,
  });
}

describe('fleet registry', () => {
  it('should list an agent after its heartbeat, healthy, with what it reported', () => {
    const { reg } = make();
    reg.heartbeat(hb('a1', { rateIn: 120, rateOut: 118, errors: 2, lastError: 'boom' }));
    const page = reg.list({});
    expect(page.total).toBe(1);
    expect(page.counts).toEqual({ healthy: 1, degraded: 0, silent: 0 });
    expect(page.agents[0]).toMatchObject({
      id: 'a1',
      host: 'a1.example',
      version: '0.1.0',
      configHash: 'abc',
      lastSeen: T0,
      rateIn: 120,
      rateOut: 118,
      errors: 2,
      lastError: 'boom',
      health: 'healthy',
    });
    // Internal bookkeeping stays out of the API.
    expect(page.agents[0]).not.toHaveProperty('intervalMs');
  });

  it('should turn an agent silent on the sweep after the deadman, and tell listeners once', () => {
    const { reg, clock } = make();
    let calls = 0;
    const off = reg.onChange(() => calls++);
    reg.heartbeat(hb('a1'));
    expect(calls).toBe(1);
    clock.t = T0 + 29_000;
    reg.sweep();
    expect(reg.list({}).agents[0].health).toBe('healthy');
    expect(calls).toBe(1);
    clock.t = T0 + 31_000;
    reg.sweep();
    expect(reg.list({}).agents[0].health).toBe('silent');
    expect(calls).toBe(2);
    clock.t = T0 + 40_000;
    reg.sweep();
    expect(calls).toBe(2);
    off();
    reg.heartbeat(hb('a1'));
    expect(calls).toBe(2);
    expect(reg.list({}).agents[0].health).toBe('healthy');
  });

  it('should put the worst sources first: silent, then degraded by error rate, then healthy by id', () => {
    const { reg, clock } = make();
    reg.heartbeat(hb('old'));
    clock.t = T0 + 60_000;
    reg.heartbeat(hb('b-healthy'));
    reg.heartbeat(hb('a-healthy'));
    reg.heartbeat(hb('few-errors', { errorRate: 0.1 }));
    reg.heartbeat(hb('many-errors', { errorRate: 5 }));
    reg.sweep();
    const ids = reg.list({}).agents.map((a) => a.id);
    expect(ids).toEqual(['old', 'many-errors', 'few-errors', 'a-healthy', 'b-healthy']);
    expect(reg.list({ order: 'desc' }).agents.map((a) => a.id)).toEqual([...ids].reverse());
  });

  it('should filter by id or host, by health, and page, with counts over the whole fleet', () => {
    const { reg } = make();
    for (let i = 0; i < 1000; i++) reg.heartbeat(hb(`agent-${String(i).padStart(4, '0')}`, { rateIn: i }));
    reg.heartbeat(hb('web-1', { host: 'WEB.prod', errorRate: 1 }));
    const page = reg.list({ sort: 'id', offset: 10, limit: 5 });
    expect(page.total).toBe(1001);
    expect(page.agents.map((a) => a.id)).toEqual([
      'agent-0010',
      'agent-0011',
      'agent-0012',
      'agent-0013',
      'agent-0014',
    ]);
    expect(reg.list({ filter: 'web.PROD' }).agents.map((a) => a.id)).toEqual(['web-1']);
    const degraded = reg.list({ health: 'degraded' });
    expect(degraded.total).toBe(1);
    expect(degraded.counts).toEqual({ healthy: 1000, degraded: 1, silent: 0 });
    expect(reg.list({ sort: 'rateIn' }).agents[0].id).toBe('agent-0999');
    expect(reg.list({ limit: 100_000 }).agents).toHaveLength(500);
    expect(reg.list({}).agents).toHaveLength(50);
  });

  it('should refuse a new agent beyond max_agents but keep taking known ones', () => {
    const { reg } = make({ settings: { max_agents: 2 } });
    expect(reg.heartbeat(hb('a'))).toBe(true);
    expect(reg.heartbeat(hb('b'))).toBe(true);
    expect(reg.heartbeat(hb('c'))).toBe(false);
    expect(reg.heartbeat(hb('a'))).toBe(true);
    expect(reg.size).toBe(2);
  });

  it('should forget an agent silent longer than forget_after', () => {
    const { reg, clock } = make({ settings: { forget_after: '1h' } });
    reg.heartbeat(hb('gone'));
    clock.t = T0 + 3_600_001;
    reg.sweep();
    expect(reg.list({}).total).toBe(0);
  });

  it('should keep the registry across a restart through its state file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-fleet-'));
    const file = path.join(dir, 'fleet', 'agents.json');
    const first = make({ file });
    first.reg.open();
    first.reg.heartbeat(hb('a1', { configVersion: '"v1"', rateIn: 7 }));
    first.reg.close();
    expect(fs.readdirSync(path.dirname(file))).toEqual(['agents.json']); // no temp file left

    const second = make({ file });
    second.clock.t = T0 + 5000;
    second.reg.open();
    expect(second.reg.list({}).agents[0]).toMatchObject({
      id: 'a1',
      configVersion: '"v1"',
      rateIn: 7,
      lastSeen: T0,
      health: 'healthy',
    });
    // Restarted long after: the agent is still listed, as silent.
    const third = make({ file });
    third.clock.t = T0 + 120_000;
    third.reg.open();
    expect(third.reg.list({}).agents[0]).toMatchObject({ id: 'a1', health: 'silent' });
  });

  it('should start empty, not fail, on a corrupt state file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-fleet-'));
    const file = path.join(dir, 'agents.json');
    fs.writeFileSync(file, '{"format":1,"agents":[{"id":"a1"');
    const { reg } = make({ file });
    reg.open();
    expect(reg.list({}).total).toBe(0);
    reg.heartbeat(hb('a2'));
    reg.save();
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).agents[0].id).toBe('a2');
  });

  it('should publish fleet gauges whose series do not grow with the fleet', async () => {
    const telemetry = new Telemetry();
    const { reg, clock } = make({ telemetry });
    for (let i = 0; i < 1000; i++) reg.heartbeat(hb(`a${i}`));
    clock.t = T0 + 60_000;
    reg.heartbeat(hb('fresh', { configRejected: 'bad key' }));
    reg.sweep();
    const text = await telemetry.text();
    expect(text).toMatch(/^viva_fleet_agents\{health="silent"[^}]*\} 1000 /m);
    expect(text).toMatch(/^viva_fleet_agents\{health="degraded"[^}]*\} 1 /m);
    expect(text).toMatch(/^viva_fleet_agents\{health="healthy"[^}]*\} 0 /m);
    expect(text).toMatch(/^viva_fleet_config_rejected_agents\{[^}]*\} 1 /m);
    expect(text).toMatch(/^viva_fleet_heartbeat_age_max_seconds\{[^}]*\} 60 /m);
    expect(text).toMatch(/^viva_fleet_heartbeat_age_agents\{max_age="10"[^}]*\} 1 /m);
    expect(text).toMatch(/^viva_fleet_heartbeat_age_agents\{max_age="30"[^}]*\} 1 /m);
    expect(text).toMatch(/^viva_fleet_heartbeat_age_agents\{max_age="60"[^}]*\} 1001 /m);
    expect(text).toMatch(/^viva_fleet_heartbeat_age_agents\{max_age="\+Inf"[^}]*\} 1001 /m);
    expect(text.split('\n').filter((l) => l.startsWith('viva_fleet_'))).toHaveLength(11);
    await telemetry.shutdown();
  });

  it('should take a shared record only when it is newer than its own', () => {
    const { reg, clock } = make();
    reg.heartbeat(hb('a1', { rateIn: 1 }));
    const older = { ...reg.get('a1')!, lastSeen: T0 - 1000, rateIn: 99 };
    reg.merge(older);
    expect(reg.list({}).agents[0].rateIn).toBe(1);
    clock.t = T0 + 1000;
    reg.merge({ ...older, lastSeen: T0 + 500 });
    expect(reg.list({}).agents[0]).toMatchObject({ rateIn: 99, lastSeen: T0 + 500 });
  });
});

describe('heartbeat schema', () => {
  it('should refuse an agent id with control characters and cap long texts', () => {
    expect(() => hb('a\nb')).toThrow();
    expect(hb('a', { lastError: 'x'.repeat(5000) }).lastError).toHaveLength(1001);
  });
});
