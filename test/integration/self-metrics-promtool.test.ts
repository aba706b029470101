/**
 * The self-metrics of a real agent and a real collector pass `promtool check metrics` (Debian's
 * prometheus package, installed by scripts/services.sh) without a warning: the agent runs
 * conf/agent.toml and the collector conf/collector.toml, on free ports and temp dirs, the agent
 * heartbeating to the collector and sending its metrics there, the collector's InfluxDB
 * destinations unreachable (so breakers and failing outputs report too). No shared service is used.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freePort,
  repoRoot,
  scrape,
  startViva,
  tempDir,
  waitFor,
  type VivaProcess,
} from '../helpers/viva.ts';

const running: VivaProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const p of running) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await p.exited;
  }
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Pipes text into `promtool check metrics`; resolves with its exit code and output. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

/** A committed config with its addresses and data dir moved; fails when one is not found. */
function moved(file: string, replacements: [string, string][]): string {
  let text = fs.readFileSync(path.join(repoRoot, 'conf', file), 'utf8');
  for (const [from, to] of replacements) {
    expect(text, `${file} holds ${from}`).toContain(from);
    text = text.replaceAll(from, to);
  }
  return text;
}

/** Starts `viva KIND -c file` and waits until its /metrics answers. */
async function start(
  kind: 'agent' | 'collector',
  file: string,
  admin: number,
  env = {},
): Promise<VivaProcess> {
  const p = startViva([kind, '-c', file], { env });
  running.push(p);
  await waitFor(
    async () => {
      if (p.child.exitCode !== null) throw new Error(`viva ${kind} exited: ${p.stderr()}`);
      return (await fetch(`http://127.0.0.1:${admin}/metrics`)).ok;
    },
    `viva ${kind} to serve /metrics`,
    60_000,
    200,
  );
  return p;
}

describe('self-metrics exposition', () => {
  it(
    'should pass promtool check metrics for a real agent and a real collector',
    { timeout: 180_000 },
    async () => {
      const dir = tempDir('viva-promtool-');
      dirs.push(dir);
      const [ingest, collectorAdmin, collectorHttp, deadA, deadB, agentAdmin, agentHttp] = await Promise.all(
        Array.from({ length: 7 }, () => freePort()),
      );

      const collectorFile = path.join(dir, 'collector.toml');
      fs.writeFileSync(
        collectorFile,
        moved('collector.toml', [
          ['${VIVA_DATA_DIR:-var/lib/viva-collector}', path.join(dir, 'collector')],
          ['127.0.0.1:8470', `127.0.0.1:${ingest}`],
          ['127.0.0.1:9274', `127.0.0.1:${collectorAdmin}`],
          ['127.0.0.1:8471', `127.0.0.1:${collectorHttp}`],
          ['127.0.0.1:8086', `127.0.0.1:${deadA}`],
          ['127.0.0.1:8087', `127.0.0.1:${deadB}`],
        ]),
      );
      await start('collector', collectorFile, collectorAdmin);

      const agentFile = path.join(dir, 'agent.toml');
      fs.writeFileSync(
        agentFile,
        moved('agent.toml', [
          ['${VIVA_DATA_DIR:-var/lib/viva}', path.join(dir, 'agent')],
          ['127.0.0.1:9273', `127.0.0.1:${agentAdmin}`],
          ['127.0.0.1:8186', `127.0.0.1:${agentHttp}`],
          ['"10s"', '"1s"'],
        ]) + `\n[[outputs.viva]]\n  urls = ["http://127.0.0.1:${ingest}"]\n`,
      );
      await start('agent', agentFile, agentAdmin, { VIVA_COLLECTOR_URL: `http://127.0.0.1:${ingest}` });

      // Wait until every kind of self-metric has values: written batches on both sides, the
      // collector's fleet registry holding the agent, its failing destination counted.
      const agentText = await waitFor(
        async () => {
          const t = await scrape(agentAdmin);
          return /^viva_output_written_total\{[^}]*plugin="viva"[^}]*\} [1-9]/m.test(t) ? t : undefined;
        },
        'the agent to deliver metrics to the collector',
        60_000,
        500,
      );
      let last = '';
      const collectorText = await waitFor(
        async () => {
          last = await scrape(collectorAdmin);
          const heartbeats = /^viva_fleet_heartbeats_total(\{[^}]*\})? [1-9]/m.test(last);
          const ingested = /^viva_collector_ingest_metrics_total(\{[^}]*\})? [1-9]/m.test(last);
          return heartbeats && ingested ? last : undefined;
        },
        'the collector to take heartbeats and batches from the agent',
        60_000,
        500,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}\nlast /metrics of the collector:\n${last}`);
      });
      expect(agentText).toContain('viva_process_event_loop_delay_p99_seconds');
      expect(collectorText).toContain('viva_fleet_heartbeat_age_agents');

      for (const [who, text] of [
        ['agent', agentText],
        ['collector', collectorText],
      ]) {
        const check = await promtoolCheck(text);
        expect(check.output, `promtool check metrics on the ${who}'s /metrics`).toBe('');
        expect(check.code, who).toBe(0);
      }
    },
  );
});
