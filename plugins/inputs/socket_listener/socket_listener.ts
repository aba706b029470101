/**
 * The socket_listener input: line protocol or JSON metrics over TCP or UDP. TCP: each chunk read
 * is cut at its last complete line and parsed in one go into one batch; while the pipeline
 * pushes back that connection's reads pause (the kernel then slows the sender). UDP: each
 * datagram is one batch; under pushback datagrams are dropped and counted.
 */
import { createParser, formatOptions } from '../../../core/format/registry.ts';
import { withSeriesCacheMetrics } from '../../../core/format/series-cache-metrics.ts';
import type { ParseError, Parser } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import { parseSocketAddress } from '../../../core/lib/listen/address.ts';
import { TcpLineServer } from '../../../core/lib/listen/tcp.ts';
import { UdpServer } from '../../../core/lib/listen/udp.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { SocketListenerConfig } from './config.ts';

export class SocketListener implements InputInstance {
  private readonly cfg: SocketListenerConfig;
  private readonly ctx: PluginContext;
  private readonly parser: Parser;
  private server: TcpLineServer | UdpServer | undefined;
  /** The bound port (after start). */
  port = 0;

  constructor(cfg: SocketListenerConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.parser = withSeriesCacheMetrics(createParser(cfg.data_format, formatOptions(cfg)), ctx);
  }

  /** JSON over TCP: one document per line. */
  private parseLines(
    data: Buffer,
    defaultTime: [number, number],
  ): { metrics: Metric[]; errors: ParseError[] } {
    const metrics: Metric[] = [];
    const errors: ParseError[] = [];
    let from = 0;
    while (from < data.length) {
      let nl = data.indexOf(10, from);
      if (nl === -1) nl = data.length;
      if (nl > from) {
        const r = this.parser.parse(data.subarray(from, nl), { defaultTime });
        for (const m of r.metrics) metrics.push(m);
        for (const e of r.errors) errors.push(e);
      }
      from = nl + 1;
    }
    return { metrics, errors };
  }

  /** Parses one region (complete lines, or a datagram) and pushes it; false under pushback. */
  private ingest(acc: Accumulator, data: Buffer, peer: string, stream: boolean): boolean {
    const defaultTime: [number, number] = [this.ctx.clock.now(), 0];
    const { metrics, errors } =
      stream && this.cfg.data_format === 'json'
        ? this.parseLines(data, defaultTime)
        : this.parser.parse(data, { defaultTime });
    if (errors.length > 0) {
      const e = errors[0];
      acc.reject(
        this.cfg.data_format === 'json' ? 'invalid JSON metrics' : 'invalid line protocol',
        { peer, message: e.message, text: e.text },
        errors.length,
      );
    }
    if (metrics.length > 0) return acc.push(metrics);
    return !acc.saturated;
  }

  async start(acc: Accumulator): Promise<void> {
    const addr = parseSocketAddress(this.cfg.service_address, 'tcp');
    const log = this.ctx.log;
    if (addr.protocol === 'udp') {
      this.server = new UdpServer({
        host: addr.host,
        port: addr.port,
        readBufferSize: this.cfg.read_buffer_size,
        log,
        saturated: () => acc.saturated,
        onDatagram: (msg, peer) => void this.ingest(acc, msg, peer, false),
        onDropped: (count) => acc.reject('pipeline saturated; datagrams dropped', {}, count),
      });
    } else {
      this.server = new TcpLineServer({
        host: addr.host,
        port: addr.port,
        maxConnections: this.cfg.max_connections,
        readTimeoutMs: this.cfg.read_timeout,
        maxLineLength: this.cfg.max_line_length,
        quoteAware: this.cfg.data_format === 'influx',
        keepAliveMs: this.cfg.keep_alive_period,
        log,
        onRegion: (region, peer) => this.ingest(acc, region, peer, true),
        onOverlong: (count, peer) =>
          acc.reject(
            'line longer than max_line_length',
            { peer, max_line_length: this.cfg.max_line_length },
            count,
          ),
        onRefused: (peer) =>
          acc.reject('too many connections', { peer, max_connections: this.cfg.max_connections }),
        waitForCapacity: () => acc.waitForCapacity(),
      });
    }
    this.port = await this.server.start();
    log.info({ address: this.cfg.service_address, port: this.port }, 'socket_listener listening');
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.stop();
  }
}
