/**
 * State that must survive a crash: the real `viva agent` is killed with SIGKILL (no clean stop)
 * and started again on the same data directory. A firing alert keeps its starts_at and is not
 * announced again; a resolved alert is not resolved again; the anomaly detectors come back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';

const running: VivaProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

function setLoad(dir: string, load: number): void {
  const file = path.join(dir, 'load.csv');
  fs.writeFileSync(file + '.tmp', `series,load\ns0,${load}\n`);
  fs.renameSync(file + '.tmp', file);
}

async function config(dir: string): Promise<string> {
  const file = path.join(dir, 'agent.toml');
  fs.writeFileSync(
    file,
    `[agent]
interval = "100ms"
flush_interval = "100ms"
omit_hostname = true
http_listen = "127.0.0.1:${await freePort()}"
data_dir = "${path.join(dir, 'data')}"
watch_config = false

[[inputs.generator]]
series = 1
tag_count = 0
field_count = 1

[[processors.lookup]]
file = "${path.join(dir, 'load.csv')}"
key = "{{series}}"
check_interval = "100ms"

[[processors.anomaly]]
namepass = ["generated"]
persist = true
persist_interval = "200ms"

[[processors.alert]]
namepass = ["generated"]
alert = "CrashTest"
value = "number(tags.load)"
critical = 90
by = ["series"]
for = "1s"

# One output for both, so a metric in the file means every alert event before it is there too.
[[outputs.file]]
namepass = ["alert", "generated"]
files = ["${path.join(dir, 'out.lp')}"]
`,
  );
  return file;
}

interface AlertLine {
  status: string;
  startsAt: string;
}

/** The alert events written so far, in order. */
function alerts(dir: string): AlertLine[] {
  const file = path.join(dir, 'out.lp');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('alert,'))
    .map((l) => ({
      status: /status="(\w+)"/.exec(l)?.[1] ?? '',
      startsAt: /starts_at=(\d+)i/.exec(l)?.[1] ?? '',
    }));
}

/** Timestamps (ms) of the generated metrics written so far, in order. */
function metricTimes(dir: string): number[] {
  const file = path.join(dir, 'out.lp');
  if (!fs.existsSync(file)) return [];
  const out: number[] = [];
  for (const l of fs.readFileSync(file, 'utf8').split('\n'))
    if (l.startsWith('generated,')) out.push(Number(BigInt(l.slice(l.lastIndexOf(' ') + 1)) / 1_000_000n));
  return out;
}

function agent(file: string): VivaProcess {
  const p = startViva(['agent', '-c', file]);
  running.push(p);
  return p;
}

async function crash(p: VivaProcess): Promise<void> {
  p.child.kill('SIGKILL');
  expect(await p.exited).toBe('SIGKILL');
}

/**
 * Waits until the agent restarted after `before` metrics were written has written metrics spanning
 * `ms` from its first one: longer than the rule's `for`, so a re-announcement would be in the file.
 */
async function ranFor(dir: string, before: number, ms: number): Promise<void> {
  await waitFor(() => {
    const t = metricTimes(dir).slice(before);
    return t.length > 0 && t[t.length - 1] - t[0] >= ms;
  }, `metrics over ${ms} ms after the restart`);
}

describe('state across a crash (SIGKILL)', () => {
  it('should keep a firing alert firing with its starts_at and never resolve a resolved one twice', async () => {
    const dir = tempDir();
    setLoad(dir, 95);
    const file = await config(dir);
    let p = agent(file);
    await waitFor(() => alerts(dir).length === 1, 'the alert firing', 30_000);
    const [fired] = alerts(dir);
    expect(fired.status).toBe('firing');
    // The anomaly detectors reach disk while the agent runs, not only on a clean stop.
    const anomalyState = path.join(dir, 'data', 'state');
    await waitFor(
      () =>
        fs
          .readdirSync(anomalyState, { recursive: true })
          .some((f) => String(f).endsWith('anomaly-state.json')),
      'the anomaly state saved',
    );
    await crash(p);

    // Restart while the load is still high: well past `for`, nothing new is announced.
    let before = metricTimes(dir).length;
    p = agent(file);
    await ranFor(dir, before, 2500);
    expect(alerts(dir)).toEqual([fired]);
    expect(p.stderr() + p.stdout()).toMatch(
      /anomaly state loaded[^\n]*"series":1|"series":1[^\n]*anomaly state loaded/,
    );

    setLoad(dir, 10);
    await waitFor(() => alerts(dir).length === 2, 'the alert resolved', 30_000);
    const resolved = alerts(dir)[1];
    expect(resolved).toEqual({ status: 'resolved', startsAt: fired.startsAt });
    await crash(p);

    // Restart with the load low: the resolve is not sent again.
    before = metricTimes(dir).length;
    p = agent(file);
    await ranFor(dir, before, 2500);
    expect(alerts(dir)).toEqual([fired, resolved]);
    expect(p.stderr()).not.toMatch(/alert state (unreadable|belongs)/);
  });
});
