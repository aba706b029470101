/**
 * InfluxDB goes away for 30 s in the middle of a stream: the agent's influxdb output buffers and
 * retries, and once InfluxDB is back every metric is there exactly once. The test runs its own
 * InfluxDB (scripts/services.sh with a private directory and ports) so stopping it disturbs no
 * other test.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  counterValue,
  freePort,
  repoRoot,
  scrape,
  startViva,
  tempDir,
  waitFor,
  type VivaProcess,
} from '../helpers/viva.ts';

const script = path.join(repoRoot, 'scripts', 'services.sh');
const running: VivaProcess[] = [];
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const c of cleanup.splice(0)) c();
});

describe('influxdb outage', () => {
  it(
    'should lose nothing when InfluxDB is stopped for 30 s during a stream',
    { timeout: 180_000 },
    async () => {
      const dir = tempDir('viva-outage-');
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
      const base = `http://127.0.0.1:${influxPort}`;
      const count = async (): Promise<number> => {
        const url = `${base}/query?db=outage&q=${encodeURIComponent('SELECT count(seq) FROM generated')}`;
        const body = (await (await fetch(url)).json()) as {
          results: { series?: { values: [string, number][] }[] }[];
        };
        return body.results[0].series?.[0].values[0][1] ?? 0;
      };

      const admin = await freePort();
      const total = 14_000;
      const cfg = path.join(dir, 'agent.toml');
      (await import('node:fs')).writeFileSync(
        cfg,
        `[agent]
flush_interval = "200ms"
metric_batch_size = 500
metric_buffer_limit = 100000
http_listen = "127.0.0.1:${admin}"
data_dir = "${dir}/data"
omit_hostname = true

[[inputs.generator]]
rate = 350
total = ${total}
batch_size = 50

[[outputs.influxdb]]
urls = ["${base}"]
database = "outage"
retry_initial_backoff = "200ms"
retry_max_backoff = "2s"
timeout = "2s"
`,
      );
      const agent = startViva(['agent', '-c', cfg]);
      running.push(agent);
      await waitFor(async () => (await count()) >= 1000, 'the first points in InfluxDB', 30_000, 200);

      services('down');
      const writtenAtStop = counterValue(await scrape(admin), 'viva_output_written_total');
      await new Promise((r) => setTimeout(r, 30_000));
      const during = await scrape(admin);
      // Nothing could be written while InfluxDB was down; the output kept retrying and buffering.
      expect(counterValue(during, 'viva_output_written_total')).toBe(writtenAtStop);
      expect(counterValue(during, 'viva_output_retries_total')).toBeGreaterThan(5);
      expect(counterValue(during, 'viva_output_buffer_size')).toBeGreaterThan(5000);
      services('up');

      await waitFor(
        async () => (await count()) >= total,
        'every point in InfluxDB after it returned',
        60_000,
        250,
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(await count()).toBe(total);
      const after = await scrape(admin);
      expect(counterValue(after, 'viva_output_dropped_total')).toBe(0);
      expect(counterValue(after, 'viva_output_written_total')).toBe(total);
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
    },
  );
});
