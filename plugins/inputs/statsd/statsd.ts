/**
 * The statsd input: a UDP (or TCP) listener that aggregates statsd values in memory and emits
 * one metric per series on each gather. Bad lines are rejected with their reason, once per
 * datagram or chunk read; series beyond max_series are rejected too, so a flood of distinct
 * names cannot grow memory without bound.
 */
import { parseSocketAddress } from '../../../core/lib/listen/address.ts';
import { TcpLineServer } from '../../../core/lib/listen/tcp.ts';
import { UdpServer } from '../../../core/lib/listen/udp.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { StatsdAggregator } from './aggregate.ts';
import type { StatsdConfig } from './config.ts';
import { parseStatsdLine, type StatEvent } from './parse.ts';

const INT64_MIN_TEXT = '-9223372036854775808';
const INT64_MAX_TEXT = '9223372036854775807';
import { NameMapper } from './template.ts';

export class StatsdInput implements InputInstance {
  private readonly cfg: StatsdConfig;
  private readonly ctx: PluginContext;
  private readonly agg: StatsdAggregator;
  private readonly events: StatEvent[] = [];
  private acc: Accumulator | undefined;
  private server: TcpLineServer | UdpServer | undefined;
  /** The bound port (after start). */
  port = 0;
  /** Lines parsed so far, good or bad (tests wait on it). */
  lines = 0;

  constructor(cfg: StatsdConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.agg = new StatsdAggregator(
      {
        percentiles: cfg.percentiles,
        percentileLimit: cfg.percentile_limit,
        maxSeries: cfg.max_series,
        deleteCounters: cfg.delete_counters,
        deleteGauges: cfg.delete_gauges,
        deleteSets: cfg.delete_sets,
        deleteTimings: cfg.delete_timings,
      },
      new NameMapper(cfg.templates, cfg.metric_separator),
    );
  }

  async start(acc: Accumulator): Promise<void> {
    this.acc = acc;
    const addr = parseSocketAddress(this.cfg.service_address, 'udp');
    const log = this.ctx.log;
    if (addr.protocol === 'udp') {
      this.server = new UdpServer({
        host: addr.host,
        port: addr.port,
        readBufferSize: this.cfg.read_buffer_size,
        log,
        saturated: () => false,
        onDatagram: (msg, peer) => this.ingest(msg, peer),
        onDropped: () => undefined,
      });
    } else {
      this.server = new TcpLineServer({
        host: addr.host,
        port: addr.port,
        maxConnections: this.cfg.max_connections,
        readTimeoutMs: this.cfg.read_timeout,
        maxLineLength: this.cfg.max_line_length,
        quoteAware: false,
        keepAliveMs: 0,
        log,
        onRegion: (region, peer) => {
          this.ingest(region, peer);
          return true;
        },
        onOverlong: (count, peer) => acc.reject('line longer than max_line_length', { peer }, count),
        onRefused: (peer) => acc.reject('too many connections', { peer }),
        waitForCapacity: () => acc.waitForCapacity(),
      });
    }
    this.port = await this.server.start();
    log.info({ address: this.cfg.service_address, port: this.port }, 'statsd listening');
  }

  /** Parses and aggregates the lines of one datagram or chunk. */
  ingest(data: Buffer, peer: string): void {
    const text = data.toString('utf8');
    const events = this.events;
    let bad = 0;
    let firstError: { line: number; message: string; text: string } | undefined;
    let overflow = 0;
    let lineNo = 0;
    for (const raw of text.split('\n')) {
      lineNo++;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') continue;
      this.lines++;
      const err = parseStatsdLine(line, this.cfg.datadog_extensions, events);
      if (err !== undefined) {
        bad++;
        firstError ??= { line: lineNo, message: err, text: line.slice(0, 200) };
      }
    }
    let clamped = 0;
    for (let i = 0; i < events.length; i++) {
      const r = this.agg.add(events[i]);
      if (r === 'max_series') overflow++;
      else if (r === 'clamped') clamped++;
    }
    events.length = 0;
    if (bad > 0) this.acc?.reject('invalid statsd line', { peer, ...firstError }, bad);
    if (clamped > 0)
      this.acc?.reject(
        'counter sum outside int64; clamped',
        { peer, min: INT64_MIN_TEXT, max: INT64_MAX_TEXT },
        clamped,
      );
    if (overflow > 0)
      this.acc?.reject('too many series (max_series)', { peer, max_series: this.cfg.max_series }, overflow);
  }

  gather(acc: Accumulator): void {
    const metrics = this.agg.flush(this.ctx.clock.now());
    if (metrics.length > 0) acc.push(metrics);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }
}
