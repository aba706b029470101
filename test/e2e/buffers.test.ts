/**
 * End-to-end: output buffers under overflow and back-pressure, with the real `viva agent`
 * process and its self-metrics.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  counterValue,
  freePort,
  scrape,
  startViva,
  tempDir,
  waitFor,
  type VivaProcess,
} from '../helpers/viva.ts';

const running: VivaProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

function agent(config: string, dir: string): VivaProcess {
  const file = path.join(dir, 'agent.toml');
  fs.writeFileSync(file, config);
  const p = startViva(['agent', '-c', file]);
  running.push(p);
  return p;
}

/** Scrapes, failing fast with the agent's stderr when the process is gone. */
async function metricsOf(p: VivaProcess, port: number): Promise<string> {
  if (p.child.exitCode !== null || p.child.signalCode !== null)
    throw new Error(`agent exited (${p.child.exitCode ?? p.child.signalCode}): ${p.stderr().slice(-2000)}`);
  return scrape(port);
}

describe('output buffers end to end', () => {
  it('should keep each of two dead outputs to its own limit, without crashing, when both overflow', async () => {
    const dir = tempDir();
    const port = await freePort();
    const dead = await freePort();
    const total = 1200;
    const outputs = ['a', 'b'].map(
      (alias) => `
[[outputs.http]]
alias = "${alias}"
url = "http://127.0.0.1:${dead}/write"
metric_buffer_limit = 100
retry_initial_backoff = "20ms"
retry_max_backoff = "50ms"
`,
    );
    const p = agent(
      `[agent]
flush_interval = "50ms"
http_listen = "127.0.0.1:${port}"
data_dir = "${dir}"
omit_hostname = true

[[inputs.generator]]
rate = 2400
total = ${total}
batch_size = 60
${outputs.join('')}`,
      dir,
    );
    await waitFor(
      async () => counterValue(await metricsOf(p, port), 'viva_input_gathered_total') === total,
      'every metric gathered',
    );
    // Both outputs keep retrying (taking batches from their buffers) after the last overflow.
    const retriesAt = counterValue(await metricsOf(p, port), 'viva_output_retries_total', { alias: 'b' });
    await waitFor(async () => {
      const t = await metricsOf(p, port);
      return (
        counterValue(t, 'viva_output_retries_total', { alias: 'a' }) > retriesAt + 5 &&
        counterValue(t, 'viva_output_retries_total', { alias: 'b' }) > retriesAt + 5
      );
    }, 'both outputs to retry several more times');

    const text = await metricsOf(p, port);
    for (const alias of ['a', 'b']) {
      const held = counterValue(text, 'viva_output_buffer_size', { alias });
      const dropped = counterValue(text, 'viva_output_dropped_total', { alias, reason: 'buffer_full' });
      expect(held, `buffer of ${alias}`).toBe(100);
      expect(counterValue(text, 'viva_output_buffer_limit', { alias }), `limit of ${alias}`).toBe(100);
      expect(dropped, `drops of ${alias}`).toBe(total - 100);
    }
    expect(p.stderr()).not.toMatch(/TypeError|Cannot read properties/);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('should bound a block-mode buffer fed by a polled input, skipping gathers while it is full', async () => {
    const dir = tempDir();
    const port = await freePort();
    const dead = await freePort();
    const p = agent(
      `[agent]
interval = "100ms"
round_interval = false
flush_interval = "50ms"
http_listen = "127.0.0.1:${port}"
data_dir = "${dir}"
omit_hostname = true

[[inputs.generator]]
series = 20

[[outputs.http]]
url = "http://127.0.0.1:${dead}/write"
when_full = "block"
metric_buffer_limit = 50
retry_initial_backoff = "20ms"
retry_max_backoff = "50ms"
`,
      dir,
    );
    await waitFor(
      async () => counterValue(await metricsOf(p, port), 'viva_input_gathers_skipped_total') >= 10,
      'gathers to be skipped while the buffer is full',
    );
    const text = await metricsOf(p, port);
    const held = counterValue(text, 'viva_output_buffer_size', { plugin: 'http' });
    // The buffer is full: at its limit, and over it by at most one batch (one gather of 20).
    expect(held).toBeGreaterThanOrEqual(50);
    expect(held).toBeLessThanOrEqual(50 + 20);
    expect(counterValue(text, 'viva_input_gathered_total', { plugin: 'generator' })).toBe(held);
    expect(counterValue(text, 'viva_output_dropped_total')).toBe(0);
    p.child.kill('SIGTERM');
    await p.exited;
  });
});
