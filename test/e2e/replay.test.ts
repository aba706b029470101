/**
 * End-to-end: `viva replay` (the real process) over recorded data — a NAB CSV through the
 * `anomaly` processor, and line protocol through `aggregate` — into a file output, in event time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runViva, tempDir } from '../helpers/viva.ts';

const NAB_DIR = process.env.NAB_DIR ?? path.join(repoRoot, 'test', 'data', 'nab');

const lines = (file: string): string[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');

/** Writes a config whose inputs a replay must ignore, with the given processors, into a file output. */
function config(dir: string, processors: string): { file: string; out: string } {
  const out = path.join(dir, 'out.lp');
  const file = path.join(dir, 'replay.toml');
  fs.writeFileSync(
    file,
    `[agent]
omit_hostname = true
data_dir = "${path.join(dir, 'live-data')}"

[[inputs.generator]]
rate = 1000

${processors}

[[outputs.file]]
files = ["${out}"]
`,
  );
  return { file, out };
}

describe('viva replay', () => {
  it('should replay a NAB CSV through anomaly detection in event time, one metric per row', async () => {
    const csv = path.join(NAB_DIR, 'data', 'realKnownCause', 'nyc_taxi.csv');
    const rows = lines(csv).length - 1;
    const dir = tempDir();
    const { file, out } = config(
      dir,
      `[[processors.anomaly]]
detector = "holt_winters"
fields = ["value"]
threshold = 0.585`,
    );
    const r = await runViva(['replay', '-c', file, '--from', csv]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`viva replay nyc_taxi\\.csv: read ${rows}, rejected 0, written outputs\\.file=${rows} in `),
    );

    const written = lines(out);
    expect(written).toHaveLength(rows);
    // Event time kept: the first row is 2014-07-01 00:00:00 UTC.
    expect(written[0]).toMatch(
      /^nyc_taxi value=10844,value_anomaly_score=0,value_anomaly=false 1404172800000000000$/,
    );
    expect(written.every((l) => /value_anomaly_score=[\d.e-]+,value_anomaly=(true|false)/.test(l))).toBe(
      true,
    );

    // Flags land in NAB's labelled anomaly windows (the 2014 marathon, New Year's Eve, ...).
    const windows = (
      JSON.parse(fs.readFileSync(path.join(NAB_DIR, 'combined_windows.json'), 'utf8')) as Record<
        string,
        [string, string][]
      >
    )['realKnownCause/nyc_taxi.csv'].map(([a, b]) => [Date.parse(a + 'Z'), Date.parse(b + 'Z')]);
    const flagged = written
      .filter((l) => l.includes('value_anomaly=true'))
      .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1, -6)));
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.some((t) => windows.some(([a, b]) => t >= a && t <= b))).toBe(true);
    // The replay kept its state out of the config's data_dir.
    expect(fs.existsSync(path.join(dir, 'live-data'))).toBe(false);
  });

  it('should replay line protocol through aggregate windows closed by event time, counting the bad line', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data.lp');
    const t0 = 1_700_000_000; // a multiple of the 10 s period
    fs.writeFileSync(
      data,
      [
        `cpu,host=a usage=1 ${t0}000000000`,
        `cpu,host=b usage=10 ${t0 + 1}000000000`,
        `cpu,host=a usage=3 ${t0 + 5}000000000`,
        'this is not line protocol',
        `cpu,host=a usage=5 ${t0 + 10}000000000`,
        `cpu,host=a usage=7 ${t0 + 19}500000000`,
        '',
      ].join('\n'),
    );
    // clock = "wall" (the default) closes by the wall clock too: only the replay clock, which
    // follows event time, keeps these 2023 windows from closing before their metrics arrive.
    const { file, out } = config(
      dir,
      `[[processors.aggregate]]
period = "10s"
stats = ["count", "sum", "min", "max", "mean"]
group_by = ["host"]
drop_original = true`,
    );
    const r = await runViva(['replay', '-c', file, '--from', data, '--batch-size', '2']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('viva replay data.lp: read 5, rejected 1, written outputs.file=3 in ');
    // Hand-computed: [t0, t0+10) a: 1, 3; b: 10. [t0+10, t0+20) a: 5, 7. Stamped with the window end.
    expect(lines(out).sort()).toEqual(
      [
        `cpu,host=a usage_count=2i,usage_sum=4,usage_min=1,usage_max=3,usage_mean=2 ${t0 + 10}000000000`,
        `cpu,host=a usage_count=2i,usage_sum=12,usage_min=5,usage_max=7,usage_mean=6 ${t0 + 20}000000000`,
        `cpu,host=b usage_count=1i,usage_sum=10,usage_min=10,usage_max=10,usage_mean=10 ${t0 + 10}000000000`,
      ].sort(),
    );
  });

  it('should replay only the window between --since and --until with the `file` source kind', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data.lp');
    const t0 = 1_700_000_000;
    fs.writeFileSync(
      data,
      [0, 10, 20, 30].map((k) => `cpu,host=a usage=${k} ${t0 + k}000000000`).join('\n') + '\n',
    );
    const { file, out } = config(dir, '');
    const since = new Date((t0 + 10) * 1000).toISOString();
    const until = String((t0 + 20) * 1000);
    const r = await runViva([
      'replay',
      'file',
      '-c',
      file,
      '--from',
      data,
      '--since',
      since,
      '--until',
      until,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('read 2, rejected 0, outside --since/--until 2, written outputs.file=2');
    expect(lines(out)).toEqual([
      `cpu,host=a usage=10 ${t0 + 10}000000000`,
      `cpu,host=a usage=20 ${t0 + 20}000000000`,
    ]);
    const bad = await runViva(['replay', 'file', '-c', file, '--from', data, '--since', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday" is not a date');
    const unknown = await runViva(['replay', 'archive', '-c', file]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown replay source "archive" (known: file, dead-letter, kafka)');
  });

  it('should refuse a file whose format it cannot tell, with the usage', async () => {
    const dir = tempDir();
    const { file } = config(dir, '');
    const r = await runViva(['replay', '-c', file, '--from', path.join(dir, 'data.bin')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --format csv|influx|json');
  });
});
