/**
 * Every output of a collector destination down for 60 s while agents keep sending: a private
 * InfluxDB (scripts/services.sh with its own directory and port, so no other test notices) is
 * stopped and an HTTP receiver answers 503. The spool holds everything, both breakers open (as
 * /metrics shows), and when the receiver comes back the destination drains the spool to it in
 * order; when InfluxDB is back the traffic fails back to it. Nothing is lost: every sequence
 * number arrives at one of the two.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  collectorConfig,
  makeMetrics,
  postBatch,
  startCollector,
  type CollectorHandle,
} from '../helpers/collector.ts';
import { counterValue, freePort, repoRoot, scrape, tempDir, waitFor } from '../helpers/viva.ts';

const script = path.join(repoRoot, 'scripts', 'services.sh');
const running: CollectorHandle[] = [];
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) if (c.proc.child.exitCode === null) c.proc.child.kill('SIGKILL');
  for (const c of cleanup.splice(0)) await c();
});

/** An HTTP receiver of line protocol that can be switched to 503; records arrival order. */
async function receiver(): Promise<{
  port: number;
  up: { value: boolean };
  seqs: number[];
  series: string[];
}> {
  const up = { value: true };
  const seqs: number[] = [];
  const series: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!up.value) return void res.writeHead(503).end('down');
      for (const line of Buffer.concat(chunks).toString().split('\n')) {
        const m = / seq=(\d+)i?/.exec(line);
        const s = /series=(s\d+)/.exec(line);
        if (m !== null && s !== null) {
          seqs.push(Number(m[1]));
          series.push(s[1]);
        }
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as { port: number }).port, up, seqs, series };
}

describe('collector destination outage', () => {
  it(
    'should hold everything in the spool while every output is down for 60 s, then drain it in order and fail back',
    { timeout: 240_000 },
    async () => {
      const dir = tempDir('viva-coll-outage-');
      const influxPort = await freePort();
      const env = {
        ...process.env,
        VIVA_SERVICES_DIR: path.join(dir, 'services'),
        VIVA_INFLUX_PORT: String(influxPort),
        VIVA_INFLUX_RPC_PORT: String(await freePort()),
      };
      const services = (cmd: 'up' | 'down'): void => {
        execFileSync('bash', [script, cmd, 'influxdb'], { env, stdio: 'pipe', timeout: 120_000 });
      };
      services('up');
      cleanup.push(() => services('down'));
      const influx = `http://127.0.0.1:${influxPort}`;
      const influxSeqs = async (): Promise<number[]> => {
        const q = encodeURIComponent('SELECT seq FROM load');
        const body = (await (await fetch(`${influx}/query?db=outage&q=${q}`)).json()) as {
          results: { series?: { values: [string, number][] }[] }[];
        };
        return (body.results[0].series?.[0].values ?? []).map((v) => v[1]);
      };
      const rx = await receiver();

      const c = await startCollector(
        await collectorConfig(
          dir,
          `
[[routes]]
name = "all"
destinations = ["tsdb"]

[[destinations]]
name = "tsdb"
outputs = ["influx", "backup"]
batch_size = 500
breaker = { failures = 2, open_for = "2s", max_open_for = "4s" }

[[outputs.influxdb]]
alias = "influx"
urls = ["${influx}"]
database = "outage"
timeout = "2s"

[[outputs.http]]
alias = "backup"
url = "http://127.0.0.1:${rx.port}/"
data_format = "influx"
timeout = "2s"
`,
        ),
      );
      running.push(c);

      // The "agents": 50 metrics every 50 ms over four series, each batch acknowledged before the next.
      let next = 0;
      let sending = true;
      const acked: number[] = [];
      const sender = (async () => {
        while (sending) {
          const batch = makeMetrics('load', next, 50);
          const status = await postBatch(c.port, batch, { agent: 'a1', batchId: `b${next}` });
          if (status === 204) {
            for (const m of batch) acked.push(m.fields.seq as number);
            next += 50;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })();

      await waitFor(
        async () => (await influxSeqs()).length >= 500,
        'the first points in InfluxDB',
        60_000,
        200,
      );
      // Every output down: InfluxDB stopped, the backup answering 503.
      rx.up.value = false;
      services('down');
      const downAt = Date.now();
      await waitFor(
        async () => {
          const t = await scrape(c.admin);
          return (
            counterValue(t, 'viva_collector_breaker_state', { output: 'influx' }) === 2 &&
            counterValue(t, 'viva_collector_breaker_state', { output: 'backup' }) === 2
          );
        },
        'both breakers open on /metrics',
        30_000,
        200,
      );
      await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (Date.now() - downAt))));
      const during = await scrape(c.admin);
      expect(
        counterValue(during, 'viva_collector_destination_lag_records', { destination: 'tsdb' }),
      ).toBeGreaterThan(50);
      expect(counterValue(during, 'viva_collector_destination_up', { destination: 'tsdb' })).toBe(0);
      const health = (await (await fetch(`http://127.0.0.1:${c.admin}/health`)).json()) as {
        status: string;
        destinations: { destination: string; state: string }[];
      };
      expect(health.status).toBe('degraded');
      expect(health.destinations[0]).toMatchObject({ destination: 'tsdb', state: 'down' });

      // The backup comes back first: the spool drains to it, in order.
      rx.up.value = true;
      await waitFor(() => rx.seqs.length > 0, 'the backup to receive the spooled metrics', 30_000, 100);
      // Then InfluxDB: traffic fails back to it after the next probe.
      services('up');
      const influxBefore = (await influxSeqs()).length;
      await waitFor(
        async () => (await influxSeqs()).length > influxBefore,
        'traffic back on InfluxDB',
        60_000,
        250,
      );
      sending = false;
      await sender;
      const total = acked.length;
      await waitFor(
        async () => new Set([...(await influxSeqs()), ...rx.seqs]).size >= total,
        'every acknowledged metric delivered',
        60_000,
        250,
      );
      const all = new Set([...(await influxSeqs()), ...rx.seqs]);
      for (const s of acked) expect(all.has(s)).toBe(true);
      // Per series, each metric the backup got for the first time came after the previous one (a
      // redelivered batch would repeat metrics already seen; those are skipped, not reordered).
      const seen = new Set<number>();
      const last = new Map<string, number>();
      rx.seqs.forEach((s, i) => {
        if (seen.has(s)) return;
        seen.add(s);
        expect(s).toBeGreaterThan(last.get(rx.series[i]) ?? -1);
        last.set(rx.series[i], s);
      });
      const after = await scrape(c.admin);
      await waitFor(
        async () =>
          counterValue(await scrape(c.admin), 'viva_collector_destination_lag_records', {
            destination: 'tsdb',
          }) === 0,
        'the spool drained',
        30_000,
        200,
      );
      expect(counterValue(after, 'viva_collector_breaker_state', { output: 'influx' })).toBe(0);
      c.proc.child.kill('SIGTERM');
      expect(await c.proc.exited).toBe(0);
    },
  );
});
