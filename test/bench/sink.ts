/**
 * The end-to-end latency sink. Each line's timestamp is the load generator's send stamp, so
 * (arrival - stamp) is the whole trip. Two ways in: the agent's `http` output writes line
 * protocol to POST /write (the trip includes serializing and a second HTTP hop), or the latency
 * probe output (latency-probe.ts) reads the stamps inside the agent and posts histogram buckets
 * to POST /histogram (the trip ends where an output gets the batch).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readStampMs } from './corpus.ts';
import { LogHistogram } from './histogram.ts';

export class LatencySink {
  readonly histogram = new LogHistogram();
  lines = 0;
  /** p99 (ms) of each second of the window, to tell a steady tail from a few stalls. */
  readonly p99BySecond: number[] = [];
  private readonly second = new LogHistogram();
  private server: http.Server | undefined;

  /** Listens on 127.0.0.1 (a free port); resolves with the write URL. */
  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = performance.timeOrigin + performance.now();
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        if (req.url === '/histogram') this.merge(body);
        else this.take(body, at);
        res.writeHead(204);
        res.end();
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/write`;
  }

  private take(body: Buffer, at: number): void {
    let nl = body.indexOf(10);
    while (nl !== -1) {
      const ms = at - readStampMs(body, nl);
      this.histogram.record(ms);
      this.second.record(ms);
      this.lines++;
      nl = body.indexOf(10, nl + 1);
    }
  }

  /** Buckets posted by the latency probe output inside the agent. */
  private merge(body: Buffer): void {
    const { buckets, max } = JSON.parse(body.toString()) as { buckets: [number, number][]; max: number };
    const before = this.histogram.count;
    this.histogram.merge(buckets, max);
    this.second.merge(buckets, max);
    this.lines += this.histogram.count - before;
  }

  /** Closes the current second of the window. */
  rollSecond(): void {
    this.p99BySecond.push(this.second.quantile(0.99));
    this.second.reset();
  }

  /** Starts a new measurement window. */
  reset(): void {
    this.histogram.reset();
    this.second.reset();
    this.p99BySecond.length = 0;
    this.lines = 0;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
