/**
 * Test helpers for plugin authors: a real context (silent logger, real telemetry), an
 * accumulator that records what an input pushes and rejects, and one-call runners for
 * processors and outputs. Used by VIVA's own plugin tests and by external plugins.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { z } from 'zod';
import type { Metric } from '../model/metric/metric.ts';
import { pluginMetrics, Telemetry } from '../engine/telemetry/telemetry.ts';
import { sectionOf } from './registry.ts';
import type {
  Accumulator,
  AckCallback,
  AnyDefinition,
  Clock,
  InputDefinition,
  PluginContext,
  ProcessorDefinition,
} from './types.ts';

/** A plugin context for tests: silent logger (or `log: 'debug'`), its own telemetry, a temp state dir. */
export function testContext(
  def: Pick<AnyDefinition, 'kind' | 'name'>,
  opts: { clock?: Clock; signal?: AbortSignal; telemetry?: Telemetry; level?: string } = {},
): PluginContext {
  const id = {
    kind: def.kind,
    name: def.name,
    alias: undefined,
    label: `${sectionOf(def.kind)}.${def.name}`,
  };
  const telemetry = opts.telemetry ?? new Telemetry('viva-test');
  let stateDir: string | undefined;
  return {
    id,
    log: pino({ level: opts.level ?? 'silent' }),
    metrics: pluginMetrics(telemetry, id),
    clock: opts.clock ?? { now: () => Date.now(), monotonic: () => performance.now() },
    signal: opts.signal ?? new AbortController().signal,
    get stateDir() {
      stateDir ??= fs.mkdtempSync(path.join(os.tmpdir(), `viva-${def.name}-`));
      return stateDir;
    },
    selfMetrics: () => telemetry.snapshot(),
  };
}

/** Parses a plugin's config table through its schema (throws the zod error when invalid). */
export function parseConfig<S extends z.ZodType>(
  def: { config: S },
  table: Record<string, unknown> = {},
): z.output<S> {
  return def.config.parse(table) as z.output<S>;
}

/** An accumulator that records pushed metrics, acks and rejections. */
export class TestAccumulator implements Accumulator {
  readonly metrics: Metric[] = [];
  readonly batches: Metric[][] = [];
  readonly rejects: { reason: string; detail?: Record<string, unknown>; count: number }[] = [];
  readonly acks: AckCallback[] = [];
  saturated = false;
  /** Set true to play a sink whose acks mean "durably stored" (a collector's spool). */
  durableAcks = false;
  private waiters: (() => void)[] = [];
  private listeners: (() => void)[] = [];

  push(metrics: Metric[], ack?: AckCallback): boolean {
    this.batches.push(metrics);
    for (const m of metrics) this.metrics.push(m);
    if (ack !== undefined) this.acks.push(ack);
    for (const l of this.listeners.splice(0)) l();
    return !this.saturated;
  }

  reject(reason: string, detail?: Record<string, unknown>, count = 1): void {
    this.rejects.push({ reason, detail, count });
    for (const l of this.listeners.splice(0)) l();
  }

  waitForCapacity(): Promise<void> {
    if (!this.saturated) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends saturation and wakes waiting sources. */
  release(): void {
    this.saturated = false;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Acknowledges every recorded batch as delivered (or not). */
  ackAll(delivered = true): void {
    for (const a of this.acks.splice(0)) a(delivered);
  }

  /** Resolves once at least `n` metrics arrived, or rejects after `timeoutMs`. */
  async waitFor(n: number, timeoutMs = 5000): Promise<Metric[]> {
    const until = Date.now() + timeoutMs;
    while (this.metrics.length < n) {
      const left = until - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} metrics (have ${this.metrics.length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.listeners.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.metrics;
  }
}

/** Creates a processor from a config table and runs one batch through it. */
export async function runProcessor(
  def: ProcessorDefinition,
  table: Record<string, unknown>,
  metrics: Metric[],
  ctx: PluginContext = testContext(def),
): Promise<Metric[]> {
  const p = await def.create(parseConfig(def, table), ctx);
  try {
    return await p.process(metrics);
  } finally {
    await p.stop?.();
  }
}

/** Creates an input and gathers once into a TestAccumulator. */
export async function gatherOnce(
  def: InputDefinition,
  table: Record<string, unknown> = {},
  ctx: PluginContext = testContext(def),
): Promise<TestAccumulator> {
  const input = await def.create(parseConfig(def, table), ctx);
  const acc = new TestAccumulator();
  try {
    await input.gather?.(acc);
  } finally {
    await input.stop?.();
  }
  return acc;
}
