/**
 * Two collectors behind one agent (`viva` output with both urls): the first is killed (kill -9)
 * in the middle of a stream, the agent fails over to the second and keeps delivering, and nothing
 * is lost. What the dead collector had acknowledged but not yet delivered waits in its spool and
 * arrives when it is started again (as an orchestrator restarts it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectorConfig, seqsIn, startCollector, type CollectorHandle } from '../helpers/collector.ts';
import {
  counterValue,
  freePort,
  scrape,
  startViva,
  tempDir,
  waitFor,
  type VivaProcess,
} from '../helpers/viva.ts';

const running: (VivaProcess | CollectorHandle)[] = [];
afterEach(() => {
  for (const p of running.splice(0)) {
    const child = 'proc' in p ? p.proc.child : p.child;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

const route = (dir: string, name: string): string => `
[[routes]]
name = "all"
destinations = ["files"]
[[destinations]]
name = "files"
outputs = ["f"]
[[outputs.file]]
alias = "f"
files = ["${path.join(dir, `${name}.lp`)}"]
`;

describe('two collectors', () => {
  it(
    'should fail the agent over to the second collector when the first is killed, losing nothing',
    { timeout: 120_000 },
    async () => {
      const dir = tempDir('viva-coll-failover-');
      const dirA = path.join(dir, 'a');
      const dirB = path.join(dir, 'b');
      fs.mkdirSync(dirA);
      fs.mkdirSync(dirB);
      const cfgA = await collectorConfig(dirA, route(dir, 'a'));
      const cfgB = await collectorConfig(dirB, route(dir, 'b'));
      let a = await startCollector(cfgA);
      running.push(a);
      const b = await startCollector(cfgB);
      running.push(b);

      const total = 6000;
      const admin = await freePort();
      const agentFile = path.join(dir, 'agent.toml');
      fs.writeFileSync(
        agentFile,
        `[agent]
flush_interval = "100ms"
metric_batch_size = 200
http_listen = "127.0.0.1:${admin}"
data_dir = "${path.join(dir, 'agent')}"
omit_hostname = true
watch_config = false

[[inputs.generator]]
series = 4
tag_count = 0
field_count = 1
rate = 1000
total = ${total}
batch_size = 50

[[outputs.viva]]
urls = ["http://127.0.0.1:${a.port}", "http://127.0.0.1:${b.port}"]
agent_id = "edge-1"
retry_min = "200ms"
retry_max = "1s"
timeout = "2s"
`,
      );
      const agent = startViva(['agent', '-c', agentFile]);
      running.push(agent);
      const fileA = path.join(dir, 'a.lp');
      const fileB = path.join(dir, 'b.lp');
      await waitFor(() => seqsIn(fileA).length >= 1000, 'the first collector to deliver', 30_000, 100);
      expect(seqsIn(fileB)).toEqual([]);

      a.proc.child.kill('SIGKILL');
      await a.proc.exited;
      // The agent moves to the second collector and goes on.
      await waitFor(() => seqsIn(fileB).length >= 1000, 'the second collector to take over', 30_000, 100);
      await waitFor(
        async () => counterValue(await scrape(admin), 'viva_output_written_total') >= total,
        'the agent to have sent everything',
        60_000,
        200,
      );
      const agentMetrics = await scrape(admin);
      expect(counterValue(agentMetrics, 'viva_output_dropped_total')).toBe(0);
      expect(
        counterValue(agentMetrics, 'viva_output_viva_endpoint_up', { url: `http://127.0.0.1:${a.port}` }),
      ).toBe(0);

      // The orchestrator restarts the first collector: what it had spooled is delivered.
      a = await startCollector(cfgA);
      running.push(a);
      await waitFor(
        () => new Set([...seqsIn(fileA), ...seqsIn(fileB)]).size === total,
        'every metric in one of the two files',
        30_000,
        100,
      );
      const all = [...seqsIn(fileA), ...seqsIn(fileB)];
      expect(new Set(all)).toEqual(new Set([...Array(total).keys()]));
      console.log(
        `two collectors: ${seqsIn(fileA).length} via the first, ${seqsIn(fileB).length} via the second, ${all.length - total} duplicates`,
      );
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
    },
  );
});
