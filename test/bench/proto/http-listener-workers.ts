/**
 * PROTOTYPE (benchmark only, loaded as an external plugin): the http_listener's write path with
 * parsing in worker threads, to measure whether it pays. POST /write (line protocol, no auth,
 * no gzip); `parse_workers = 0` parses on the event loop like http_listener does; with
 * `max_queued_bytes`, a body is parsed inline when every worker is already that far behind
 * (hybrid: the event loop and the workers share the parsing).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createParser } from '../../../core/format/registry.ts';
import type { ParseError } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import { defineInput } from '../../../core/plugin/define.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { ParsePool } from './parse-pool.ts';

const config = z.strictObject({
  service_address: z.string().default('127.0.0.1:8186').describe('host:port to listen on.'),
  parse_workers: z.number().int().min(0).default(2).describe('Worker threads parsing bodies (0 = inline).'),
  max_queued_bytes: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Parse inline when every worker has more than this many bytes queued (0 = always offload).'),
});
type Config = z.output<typeof config>;

type Parsed = { metrics: Metric[]; errors: ParseError[]; errorCount: number };

class HttpListenerWorkers implements InputInstance {
  private readonly cfg: Config;
  private readonly ctx: PluginContext;
  private server: http.Server | undefined;
  private pool: ParsePool | undefined;
  private readonly inline = createParser('influx');

  constructor(cfg: Config, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
  }

  private parse(body: Buffer): Promise<Parsed> | Parsed {
    const now = this.ctx.clock.now();
    const pool = this.pool;
    const max = this.cfg.max_queued_bytes;
    if (pool !== undefined && (max === 0 || pool.leastOutstanding <= max)) return pool.parse(body, now);
    const r = this.inline.parse(body, { defaultTime: [now, 0] });
    return { ...r, errorCount: r.errors.length };
  }

  private handle(acc: Accumulator, req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'POST' || !(req.url ?? '').startsWith('/write')) {
      req.resume();
      res.writeHead(404).end();
      return;
    }
    if (acc.saturated) {
      req.resume();
      res.writeHead(429, { 'retry-after': '1', connection: 'close' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
    });
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      const done = (r: Parsed): void => {
        if (r.metrics.length > 0) acc.push(r.metrics);
        if (r.errorCount > 0) {
          acc.reject('invalid line protocol', { first: r.errors[0]?.message }, r.errorCount);
          res.writeHead(400).end(JSON.stringify({ error: r.errors[0]?.message }));
        } else res.writeHead(204).end();
      };
      const r = this.parse(body);
      if (r instanceof Promise)
        r.then(done, (e: unknown) => {
          this.ctx.log.error({ err: String(e) }, 'parse worker failed');
          res.writeHead(500).end();
        });
      else done(r);
    });
  }

  async start(acc: Accumulator): Promise<void> {
    if (this.cfg.parse_workers > 0) this.pool = new ParsePool(this.cfg.parse_workers);
    const [host, port] = this.cfg.service_address.split(':');
    const server = http.createServer((req, res) => this.handle(acc, req, res));
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(Number(port), host, resolve));
    this.server = server;
    this.ctx.log.info(
      { port: (server.address() as AddressInfo).port, workers: this.cfg.parse_workers },
      'listening',
    );
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s !== undefined) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    await this.pool?.close();
  }
}

export const httpListenerWorkers = defineInput({
  name: 'http_listener_workers',
  description: 'PROTOTYPE: http_listener write path with line protocol parsed in worker threads',
  config,
  create: (cfg, ctx) => new HttpListenerWorkers(cfg, ctx),
});
