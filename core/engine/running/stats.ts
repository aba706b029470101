/**
 * The self-metrics every plugin instance emits, recorded by the running wrappers (never by the
 * plugin). One shared shape so a compliance test can check every component reports them.
 */
import type { Attributes } from '@opentelemetry/api';
import type { PluginId } from '../../plugin/types.ts';
import { pluginAttrs, type Telemetry } from '../telemetry/telemetry.ts';

/** Input self-metrics. */
export class InputStats {
  private readonly attrs: Attributes;
  private readonly t: Telemetry;
  constructor(t: Telemetry, id: PluginId) {
    this.t = t;
    this.attrs = pluginAttrs(id);
  }
  gathered(n: number): void {
    this.t.counter('viva_input_gathered', 'Metrics produced by an input').add(n, this.attrs);
  }
  rejected(n: number, reason: string): void {
    this.t
      .counter('viva_input_rejected', 'Bad input rejected by an input, by reason')
      .add(n, { ...this.attrs, reason });
  }
  error(): void {
    this.t.counter('viva_input_errors', 'Failed gathers or service errors of an input').add(1, this.attrs);
  }
  gatherTime(seconds: number): void {
    this.t.histogram('viva_input_gather_duration_seconds', 'Time of one gather').record(seconds, this.attrs);
  }
  /** A gather not started because a block-mode output was full (back-pressure). */
  skipped(): void {
    this.t
      .counter(
        'viva_input_gathers_skipped',
        'Gathers skipped because an output with when_full = "block" was full',
      )
      .add(1, this.attrs);
  }
  overlap(): void {
    this.t
      .counter('viva_input_gather_overlaps', 'Gathers skipped because the previous one was still running')
      .add(1, this.attrs);
  }
}

/** Output self-metrics. */
export class OutputStats {
  private readonly attrs: Attributes;
  private readonly t: Telemetry;
  private readonly bufferSize;
  private readonly bufferBytes;
  private readonly bufferLimit;
  constructor(t: Telemetry, id: PluginId) {
    this.t = t;
    this.attrs = pluginAttrs(id);
    this.bufferSize = t.gauge('viva_output_buffer_size', 'Metrics waiting in an output buffer');
    this.bufferBytes = t.gauge('viva_output_buffer_bytes', 'Approximate bytes in an output buffer');
    this.bufferLimit = t.gauge('viva_output_buffer_limit', 'Metrics an output buffer holds at most');
  }
  written(n: number): void {
    this.t.counter('viva_output_written', 'Metrics written by an output').add(n, this.attrs);
  }
  dropped(n: number, reason: string): void {
    this.t
      .counter('viva_output_dropped', 'Metrics an output dropped, by reason')
      .add(n, { ...this.attrs, reason });
  }
  error(kind: string): void {
    this.t
      .counter('viva_output_errors', 'Failed writes of an output, by kind')
      .add(1, { ...this.attrs, kind });
  }
  retry(): void {
    this.t.counter('viva_output_retries', 'Write attempts retried after a failure').add(1, this.attrs);
  }
  writeTime(seconds: number): void {
    this.t.histogram('viva_output_write_duration_seconds', 'Time of one write').record(seconds, this.attrs);
  }
  latency(seconds: number): void {
    this.t
      .histogram('viva_pipeline_latency_seconds', 'End-to-end latency from ingest to written')
      .record(seconds, this.attrs);
  }
  /** The buffer's fill; `limit` (its bound in metrics) lets a dashboard or alert show fill as a fraction. */
  buffer(length: number, bytes: number, limit?: number): void {
    this.bufferSize.set(length, this.attrs);
    this.bufferBytes.set(bytes, this.attrs);
    if (limit !== undefined) this.bufferLimit.set(limit, this.attrs);
  }
  forget(): void {
    this.bufferSize.remove(this.attrs);
    this.bufferBytes.remove(this.attrs);
    this.bufferLimit.remove(this.attrs);
  }
}

/** Processor self-metrics. */
export class ProcessorStats {
  private readonly attrs: Attributes;
  private readonly t: Telemetry;
  constructor(t: Telemetry, id: PluginId) {
    this.t = t;
    this.attrs = pluginAttrs(id);
  }
  processed(inCount: number, outCount: number): void {
    this.t.counter('viva_processor_in', 'Metrics into a processor').add(inCount, this.attrs);
    this.t.counter('viva_processor_out', 'Metrics out of a processor').add(outCount, this.attrs);
  }
  error(): void {
    this.t
      .counter('viva_processor_errors', 'Batches a processor failed on (passed through unchanged)')
      .add(1, this.attrs);
  }
}
