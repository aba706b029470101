/**
 * RunningProcessor: applies a processor to the metrics its filter selects (the rest pass by
 * untouched; as in Telegraf, the modifiers fieldinclude/fieldexclude/taginclude/tagexclude trim the
 * selected metrics before the processor sees them, and one left without fields is dropped), records its self-metrics, and turns a processor failure into a logged, counted
 * pass-through instead of a lost batch.
 */
import type { Logger } from 'pino';
import type { ProcessorCommon } from '../../config/schema.ts';
import { compileFilter, type CompiledFilter } from '../filter/filter.ts';
import type { Metric } from '../../model/metric/metric.ts';
import type { PluginId, ProcessorInstance } from '../../plugin/types.ts';
import type { ProcessorStats } from './stats.ts';

export class RunningProcessor {
  readonly id: PluginId;
  readonly instance: ProcessorInstance;
  private readonly filter: CompiledFilter;
  private readonly log: Logger;
  private readonly stats: ProcessorStats;

  constructor(opts: {
    id: PluginId;
    common: ProcessorCommon;
    instance: ProcessorInstance;
    log: Logger;
    stats: ProcessorStats;
  }) {
    this.id = opts.id;
    this.instance = opts.instance;
    this.filter = compileFilter(opts.common);
    this.log = opts.log;
    this.stats = opts.stats;
  }

  /** Processes a batch; the result may be a promise only when the processor is asynchronous. */
  process(metrics: Metric[]): Metric[] | Promise<Metric[]> {
    let selected = metrics;
    let bypass: Metric[] | null = null;
    // What a failure passes on: the batch less the metrics the modifiers left without fields.
    let all = metrics;
    if (this.filter.active) {
      selected = [];
      bypass = [];
      const trim = this.filter.modifies;
      let trimmedAway = 0;
      for (const m of metrics) {
        if (!this.filter.select(m)) bypass.push(m);
        else if (!trim || this.filter.trim(m)) selected.push(m);
        else trimmedAway++;
      }
      if (trimmedAway > 0) all = selected.concat(bypass);
      if (selected.length === 0) return all;
    }
    // Counted before the call: a processor may filter the array it is given in place.
    const inCount = selected.length;
    let out: Metric[] | Promise<Metric[]>;
    try {
      out = this.instance.process(selected);
    } catch (e) {
      return this.failed(e, all);
    }
    if (out instanceof Promise) {
      return out.then(
        (r) => this.done(inCount, r, bypass),
        (e: unknown) => this.failed(e, all),
      );
    }
    return this.done(inCount, out, bypass);
  }

  private done(inCount: number, out: Metric[], bypass: Metric[] | null): Metric[] {
    this.stats.processed(inCount, out.length);
    if (bypass === null || bypass.length === 0) return out;
    return out.length === 0 ? bypass : out.concat(bypass);
  }

  private failed(e: unknown, metrics: Metric[]): Metric[] {
    this.stats.error();
    this.log.error(
      { err: e instanceof Error ? e.message : String(e), count: metrics.length },
      'processor failed; batch passed on unchanged',
    );
    return metrics;
  }
}
