/**
 * The load generator: a separate process (so it never shares the agent's event loop) sending line
 * protocol over TCP (several connections) or HTTP (POST /write, keep-alive, several requests in
 * flight), at full speed or at a fixed rate.
 *
 * Every line carries its send time as its timestamp. At a fixed rate the stamp is the time the
 * batch was due, not the time it left, so a generator or agent that falls behind shows up as
 * latency instead of being hidden (no coordinated omission).
 *
 * Prints a JSON progress line every 250 ms and a final one: lines sent, accepted, refused (HTTP
 * 429), failed, and how far behind schedule it ran. Stops by itself after --duration seconds.
 *
 *   node test/bench/loadgen.ts --target tcp://127.0.0.1:8094 --connections 4 --rate 500000
 *   node test/bench/loadgen.ts --target http://127.0.0.1:8186/write --connections 4 --batch 5000
 *   node test/bench/loadgen.ts --target http://127.0.0.1:8470/v1/batch --body viva --connections 8
 *
 * With `--body viva` the batches are what the `viva` output sends a collector: the corpus parsed
 * once, encoded as binary batches (core/format/binary) and gzipped at level 1, before the clock
 * starts; each POST carries X-Viva-Agent and a fresh X-Viva-Batch id (so none is a duplicate).
 * Every request's round trip (sent to answered) goes into a histogram whose buckets are in each
 * progress line.
 */
import http from 'node:http';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { encodeBatch } from '../../core/format/binary/index.ts';
import { parseLineProtocol } from '../../core/format/lineprotocol/index.ts';
import type { Metric } from '../../core/model/metric/metric.ts';
import { type Batch, buildBatches, nowDigits, stamp } from './corpus.ts';
import { LogHistogram } from './histogram.ts';

const { values: a } = parseArgs({
  options: {
    target: { type: 'string' },
    connections: { type: 'string', default: '4' },
    batch: { type: 'string', default: '' },
    rate: { type: 'string', default: '0' },
    duration: { type: 'string', default: '30' },
    hosts: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    'no-strings': { type: 'boolean', default: false },
    points: { type: 'string', default: '1' },
    body: { type: 'string', default: 'lp' },
  },
});
if (a.target === undefined) throw new Error('--target is required');
const target = new URL(a.target);
const isHttp = target.protocol === 'http:';
const connections = Number(a.connections);
const batchSize = Number(a.batch || (isHttp ? 5000 : 500));
const rate = Number(a.rate);
const durationMs = Number(a.duration) * 1000;
const viva = a.body === 'viva';
if (viva && !isHttp) throw new Error('--body viva needs an http:// target');

/** Counters, in lines (payloadBytes: uncompressed binary batch bytes accepted, viva only). */
const stats = {
  sent: 0,
  accepted: 0,
  refused: 0,
  failed: 0,
  requests: 0,
  maxLagMs: 0,
  lagSumMs: 0,
  lagN: 0,
  payloadBytes: 0,
  wireBytes: 0,
};
/** Round trip of every answered request (ms). */
const rtt = new LogHistogram();

// Enough batches that one is always free while others are queued or in flight, and that the
// pool holds about every series of the corpus (8 a host), whatever the batch size. Taken in turn
// (first in, first out), so every batch, and with it every series, comes round.
const poolSize = Math.max(16, connections * 8, Math.ceil((Number(a.hosts) * 8) / batchSize));
const pool: Batch[] = buildBatches(poolSize, batchSize, {
  hosts: Number(a.hosts),
  seed: Number(a.seed),
  strings: !a['no-strings'],
  points: Number(a.points),
});
/** A viva batch: the gzipped binary body and the size it had before gzip. */
interface VivaBody {
  raw: number;
}
const vivaRaw = new WeakMap<Batch, VivaBody>();
if (viva) {
  const at = nowDigits();
  for (const b of pool) {
    stamp(b, at);
    const r = parseLineProtocol(b.data);
    if (r.errors.length > 0) throw new Error(`corpus: ${r.errors[0].message}`);
    const bin = encodeBatch(r.metrics as Metric[]);
    b.data = gzipSync(bin, { level: 1 });
    // The timestamps are inside the encoded body now: nothing to stamp per send.
    b.stampAt = new Int32Array(0);
    vivaRaw.set(b, { raw: bin.length });
  }
}
const agentId = `bench-loadgen-${a.seed}`;
let batchSeq = 0;
const free: Batch[] = [...pool];
const t0 = performance.now();
let stopped = false;

function report(final = false): void {
  const lat = { rttBuckets: rtt.buckets(), rttMax: rtt.max };
  process.stdout.write(
    JSON.stringify({ t_ms: Math.round(performance.now() - t0), final, ...stats, ...lat }) + '\n',
  );
}

/** Stamps a batch with the time it was due (fixed rate) or now (full speed). */
function prepare(b: Batch, dueAt: number | undefined): void {
  stamp(b, nowDigits(dueAt === undefined ? undefined : performance.timeOrigin + dueAt));
  if (dueAt !== undefined) {
    const lag = performance.now() - dueAt;
    stats.lagSumMs += lag;
    stats.lagN++;
    if (lag > stats.maxLagMs) stats.maxLagMs = lag;
  }
}

/** One transport: sends a batch, calls back when its buffer may be reused. */
interface Sender {
  /** True while this sender can take another batch now. */
  ready(): boolean;
  send(b: Batch, done: () => void): void;
  close(): void;
}

function tcpSender(): Promise<Sender> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: target.hostname, port: Number(target.port), noDelay: true });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', (e) => {
        if (!stopped) process.stderr.write(`loadgen: tcp error ${e.message}\n`);
      });
      resolve({
        // Keep a little in the socket's queue so the kernel always has data, but no more.
        ready: () => !s.destroyed && s.writableLength < 1024 * 1024,
        send(b, done) {
          stats.sent += b.lines;
          s.write(b.data, (err) => {
            if (err) stats.failed += b.lines;
            else stats.accepted += b.lines;
            done();
          });
        },
        close: () => s.destroy(),
      });
    });
  });
}

function httpSender(agent: http.Agent): Sender {
  let inFlight = false;
  const path = viva ? target.pathname : target.pathname + (target.search || '?precision=ns');
  const headers = (b: Batch): http.OutgoingHttpHeaders =>
    viva
      ? {
          'content-type': 'application/vnd.viva.batch',
          'content-encoding': 'gzip',
          'x-viva-agent': agentId,
          'x-viva-batch': `${agentId}-${++batchSeq}`,
          'content-length': b.data.length,
        }
      : { 'content-type': 'text/plain; charset=utf-8', 'content-length': b.data.length };
  const post = (b: Batch, done: () => void): void => {
    const sentAt = performance.now();
    const req = http.request(
      {
        host: target.hostname,
        port: Number(target.port),
        method: 'POST',
        path,
        agent,
        headers: headers(b),
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          stats.requests++;
          rtt.record(performance.now() - sentAt);
          const code = res.statusCode ?? 0;
          if (code === 204 || code === 200) {
            stats.accepted += b.lines;
            stats.wireBytes += b.data.length;
            stats.payloadBytes += vivaRaw.get(b)?.raw ?? 0;
          } else if (code === 429) {
            stats.refused += b.lines;
            // Honour Retry-After, as a well-behaved client does; the lines go again.
            const after = Number(res.headers['retry-after'] ?? 1) * 1000;
            if (!stopped) return void setTimeout(() => post(b, done), after);
          } else stats.failed += b.lines;
          inFlight = false;
          done();
        });
      },
    );
    req.on('error', (e) => {
      if (!stopped) process.stderr.write(`loadgen: http error ${e.message}\n`);
      stats.failed += b.lines;
      inFlight = false;
      done();
    });
    req.end(b.data);
  };
  return {
    ready: () => !inFlight,
    send(b, done) {
      inFlight = true;
      stats.sent += b.lines;
      post(b, done);
    },
    close: () => undefined,
  };
}

/** Full speed: each sender sends its next batch as soon as it can. */
function runMax(senders: Sender[]): void {
  const kick = (s: Sender): void => {
    while (!stopped && s.ready() && free.length > 0) {
      const b = free.shift() as Batch;
      prepare(b, undefined);
      s.send(b, () => {
        free.push(b);
        setImmediate(() => kick(s));
      });
    }
  };
  for (const s of senders) kick(s);
  // A TCP sender refusing for a full queue gets no callback; poll it.
  const t = setInterval(() => {
    if (stopped) return clearInterval(t);
    for (const s of senders) kick(s);
  }, 1);
}

/** Fixed rate: every millisecond, send the batches that fell due, round-robin over senders. */
function runPaced(senders: Sender[]): void {
  let scheduled = 0;
  let next = 0;
  const tick = (): void => {
    if (stopped) return;
    const elapsed = performance.now() - t0;
    for (;;) {
      const dueAt = t0 + ((scheduled + batchSize) / rate) * 1000;
      if (dueAt > t0 + elapsed || free.length === 0) break;
      let s: Sender | undefined;
      for (let k = 0; k < senders.length && s === undefined; k++) {
        const c = senders[(next + k) % senders.length];
        if (c.ready()) s = c;
      }
      if (s === undefined) break; // every sender busy: the batch stays due (and its stamp too)
      next = (next + 1) % senders.length;
      const b = free.shift() as Batch;
      prepare(b, dueAt);
      scheduled += batchSize;
      s.send(b, () => free.push(b));
    }
    setTimeout(tick, 1);
  };
  tick();
}

async function main(): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const senders: Sender[] = isHttp
    ? Array.from({ length: connections }, () => httpSender(agent))
    : await Promise.all(Array.from({ length: connections }, () => tcpSender()));
  const progress = setInterval(() => report(), 250);
  const finish = (): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(progress);
    report(true);
    for (const s of senders) s.close();
    agent.destroy();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', finish);
  process.on('SIGINT', finish);
  setTimeout(finish, durationMs).unref();
  if (rate > 0) runPaced(senders);
  else runMax(senders);
}

main().catch((e: unknown) => {
  process.stderr.write(`loadgen: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
