/**
 * End-to-end: the real `viva agent` process, a generator, a filter, two outputs — one of which
 * fails for a while — and the self-metrics that tell what happened.
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
import { seqOf, startSink, type Sink } from '../helpers/sink.ts';

const running: VivaProcess[] = [];
const sinks: Sink[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});

function agent(config: string, dir: string): VivaProcess {
  const file = path.join(dir, 'agent.toml');
  fs.writeFileSync(file, config);
  const p = startViva(['agent', '-c', file]);
  running.push(p);
  return p;
}

const fileLines = (f: string): string[] =>
  fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];

function exactlyOnce(seqs: number[], total: number): void {
  expect(seqs.length).toBe(total);
  expect(new Set(seqs).size).toBe(total);
  expect(Math.min(...seqs)).toBe(0);
  expect(Math.max(...seqs)).toBe(total - 1);
}

describe('viva agent end to end', () => {
  it('should deliver every metric exactly once to both outputs while one fails for a while', async () => {
    const dir = tempDir();
    const sink = await startSink();
    sinks.push(sink);
    sink.failWith = 503;
    const port = await freePort();
    const total = 6000;
    const p = agent(
      `[agent]
interval = "1s"
flush_interval = "100ms"
metric_batch_size = 500
http_listen = "127.0.0.1:${port}"
data_dir = "${dir}"
omit_hostname = true

[[inputs.generator]]
rate = 3000
total = ${total}
batch_size = 100

[[outputs.http]]
alias = "flaky"
url = "http://127.0.0.1:${sink.port}/write"
retry_initial_backoff = "50ms"
retry_max_backoff = "200ms"
fieldexclude = ["value*"]

[[outputs.file]]
alias = "local"
files = ["${dir}/out.lp"]
`,
      dir,
    );
    const out = path.join(dir, 'out.lp');
    // The file output keeps delivering while the http destination is down.
    await waitFor(() => fileLines(out).length >= 3000, 'file output to receive half the metrics');
    expect(sink.lines.length).toBe(0);
    expect(sink.requests).toBeGreaterThan(0);
    sink.failWith = null;
    await waitFor(
      () => sink.lines.length >= total && fileLines(out).length >= total,
      'both outputs to catch up',
    );
    await new Promise((r) => setTimeout(r, 300));
    exactlyOnce(seqOf(sink.lines), total);
    exactlyOnce(seqOf(fileLines(out)), total);
    // The filter applies to the http output only.
    expect(sink.lines.every((l) => !/value\d=/.test(l))).toBe(true);
    expect(fileLines(out).every((l) => /value0=/.test(l))).toBe(true);

    const text = await scrape(port);
    expect(counterValue(text, 'viva_output_written_total', { alias: 'flaky' })).toBe(total);
    expect(counterValue(text, 'viva_output_written_total', { alias: 'local' })).toBe(total);
    expect(counterValue(text, 'viva_output_retries_total', { alias: 'flaky' })).toBeGreaterThan(0);
    expect(
      counterValue(text, 'viva_output_errors_total', { alias: 'flaky', kind: 'retryable' }),
    ).toBeGreaterThan(0);
    expect(counterValue(text, 'viva_output_dropped_total')).toBe(0);
    expect(counterValue(text, 'viva_input_gathered_total', { plugin: 'generator' })).toBe(total);

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('should flush everything buffered when it receives SIGTERM', async () => {
    const dir = tempDir();
    const port = await freePort();
    const total = 1500;
    const p = agent(
      `[agent]
flush_interval = "1h"
metric_batch_size = 100000
http_listen = "127.0.0.1:${port}"
data_dir = "${dir}"

[[inputs.generator]]
rate = 5000
total = ${total}

[[outputs.file]]
files = ["${dir}/out.lp"]
`,
      dir,
    );
    await waitFor(
      async () => counterValue(await scrape(port), 'viva_input_gathered_total') === total,
      'all metrics gathered',
    );
    expect(fileLines(path.join(dir, 'out.lp'))).toHaveLength(0);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    exactlyOnce(seqOf(fileLines(path.join(dir, 'out.lp'))), total);
  });

  it('should deliver after a restart what the disk buffer accepted before kill -9', async () => {
    const dir = tempDir();
    const sink = await startSink();
    sinks.push(sink);
    sink.failWith = 503;
    const port = await freePort();
    const total = 4000;
    const outputs = `
[[outputs.http]]
alias = "durable"
url = "http://127.0.0.1:${sink.port}/write"
buffer_strategy = "disk"
buffer_fsync = "always"
retry_initial_backoff = "50ms"
retry_max_backoff = "100ms"
`;
    const first = agent(
      `[agent]
flush_interval = "100ms"
http_listen = "127.0.0.1:${port}"
data_dir = "${dir}"

[[inputs.generator]]
rate = 4000
total = ${total}
batch_size = 100
${outputs}`,
      dir,
    );
    await waitFor(
      async () => counterValue(await scrape(port), 'viva_input_gathered_total') === total,
      'all metrics gathered',
    );
    await waitFor(async () => {
      const t = await scrape(port);
      return (
        t.includes('viva_output_buffer_size') &&
        counterValue(t, 'viva_output_buffer_size', { alias: 'durable' }) === total
      );
    }, 'the disk buffer to hold every metric');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(sink.lines).toHaveLength(0);

    sink.failWith = null;
    const port2 = await freePort();
    const second = agent(
      `[agent]\nflush_interval = "100ms"\nhttp_listen = "127.0.0.1:${port2}"\ndata_dir = "${dir}"\n${outputs}`,
      dir,
    );
    await waitFor(() => new Set(seqOf(sink.lines)).size >= total, 'replayed metrics to arrive', 30_000);
    const seqs = seqOf(sink.lines);
    expect(new Set(seqs).size).toBe(total);
    expect(Math.max(...seqs)).toBe(total - 1);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('should refuse to start on an invalid config and start nothing', async () => {
    const dir = tempDir();
    const port = await freePort();
    const file = path.join(dir, 'bad.toml');
    fs.writeFileSync(
      file,
      `[agent]\nhttp_listen = "127.0.0.1:${port}"\n[[inputs.generator]]\nrat = 5\n[[outputs.file]]\nfiles = ["${dir}/out.lp"]\n`,
    );
    const p = startViva(['agent', '-c', file]);
    running.push(p);
    expect(await p.exited).toBe(3);
    expect(p.stderr()).toContain(`${file}: inputs.generator: rat: unknown key (did you mean "rate"?)`);
    expect(fs.existsSync(path.join(dir, 'out.lp'))).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
