/**
 * End-to-end: the archive output in the real `viva` process. An agent replay archives three hours
 * of line protocol (one period per hour of event time); `viva archive list` shows the files, DuckDB
 * reads the Parquet, `viva archive replay` brings a range back through a config's outputs and
 * `viva replay` replays a gzip file as it is. A spool-backed collector archiving every second is
 * killed with SIGKILL while it finishes a period (a temp file on disk), twice: no half file ever
 * stands under a final name, and after a restart the archive holds every acknowledged metric.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { parseLineProtocol, serializeLineProtocol } from '../../core/format/lineprotocol/index.ts';
import { isTempName, readManifest } from '../../core/lib/archive/manifest.ts';
import { Metric } from '../../core/model/metric/metric.ts';
import {
  collectorConfig,
  makeMetrics,
  postBatch,
  startCollector,
  type CollectorHandle,
} from '../helpers/collector.ts';
import { counterValue, runViva, scrape, tempDir, waitFor } from '../helpers/viva.ts';

const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);
const HOUR = 3_600_000;

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

async function duck<T>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJson() as T[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

function agentConfig(dir: string, name: string, outputs: string): string {
  const file = path.join(dir, `${name}.toml`);
  fs.writeFileSync(
    file,
    `[agent]\nomit_hostname = true\ndata_dir = "${path.join(dir, name + '-data')}"\n\n${outputs}\n`,
  );
  return file;
}

/** Every file under dir, relative, recursively. */
function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  // A file may be renamed or removed while this looks: such a name is skipped.
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter(
    (f) => fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.isFile() === true,
  );
}

describe('viva archive', () => {
  it('should archive a replay per hour, list it, and bring a time range back unchanged', async () => {
    const dir = tempDir('viva-archive-e2e-');
    const archive = path.join(dir, 'archive');
    // Three hours, one point every 10 s per host, floats, integers and strings.
    const metrics: Metric[] = [];
    for (let t = T0; t < T0 + 3 * HOUR; t += 10_000)
      for (const host of ['a', 'b']) {
        const m = new Metric(
          'disk',
          { host, path: '/var lib' },
          { used: (t - T0) / 1e6, label: `x=${t % 7}` },
          t,
        );
        m.setInt('inodes', (t - T0) / 1000);
        metrics.push(m);
      }
    const data = path.join(dir, 'data.lp');
    fs.writeFileSync(data, serializeLineProtocol(metrics).data);
    const archiver = agentConfig(
      dir,
      'archiver',
      `[[outputs.archive]]\ndir = "${archive}"\nstream = "disk"\nperiod = "1h"`,
    );
    const r = await runViva(['replay', '-c', archiver, '--from', data]);
    expect(r.stderr).toContain(`written outputs.archive=${metrics.length}`);
    expect(r.code).toBe(0);

    const listed = await runViva(['archive', 'list', '--dir', archive]);
    expect(listed.code).toBe(0);
    expect(lines(listed.stdout)).toHaveLength(1 + 6);
    expect(listed.stdout).toContain('2026-11-01/disk-20261101T020000Z-1.parquet');
    const json = JSON.parse((await runViva(['archive', 'list', '--dir', archive, '--json'])).stdout) as {
      format: string;
      rows: number;
      min_time: number;
    }[];
    expect(json.filter((f) => f.format === 'lp_gz').map((f) => [f.min_time, f.rows])).toEqual([
      [T0, 720],
      [T0 + HOUR, 720],
      [T0 + 2 * HOUR, 720],
    ]);

    // The analyst's view: every Parquet file of the stream at once.
    const [agg] = await duck<{ n: string; used: number; inodes: string }>(
      `SELECT count(*) AS n, sum(used) AS used, sum(inodes) AS inodes FROM read_parquet('${archive}/disk/*/*.parquet')`,
    );
    expect(Number(agg.n)).toBe(metrics.length);
    expect(agg.used).toBeCloseTo(
      metrics.reduce((s, m) => s + (m.fields.used as number), 0),
      6,
    );
    expect(BigInt(agg.inodes)).toBe(metrics.reduce((s, m) => s + BigInt(m.fields.inodes as number), 0n));

    // viva archive replay: a range across two files, through another config's output.
    const out = path.join(dir, 'range.lp');
    const sink = agentConfig(dir, 'sink', `[[outputs.file]]\nfiles = ["${out}"]`);
    const from = T0 + HOUR / 2;
    const to = T0 + HOUR + HOUR / 4;
    const rr = await runViva([
      'archive',
      'replay',
      '-c',
      sink,
      '--dir',
      archive,
      '--from',
      new Date(from).toISOString(),
      '--to',
      String(to),
    ]);
    expect(rr.stderr).toMatch(/from 2 file\(s\)/);
    expect(rr.code).toBe(0);
    const wanted = metrics.filter((m) => m.timeMs >= from && m.timeMs <= to);
    expect(lines(fs.readFileSync(out, 'utf8')).sort()).toEqual(
      lines(serializeLineProtocol(wanted).data.toString()).sort(),
    );

    // viva replay: one gzip line protocol file as it is.
    const out2 = path.join(dir, 'hour.lp');
    const sink2 = agentConfig(dir, 'sink2', `[[outputs.file]]\nfiles = ["${out2}"]`);
    const gz = path.join(archive, 'disk', '2026-11-01', 'disk-20261101T010000Z-1.lp.gz');
    const r2 = await runViva(['replay', '-c', sink2, '--from', gz]);
    expect(r2.code).toBe(0);
    const hour = metrics.filter((m) => m.timeMs >= T0 + HOUR && m.timeMs < T0 + 2 * HOUR);
    expect(lines(fs.readFileSync(out2, 'utf8')).sort()).toEqual(
      lines(serializeLineProtocol(hour).data.toString()).sort(),
    );
  });

  it('should leave no half file and lose no acknowledged metric when the collector is killed while finishing a period', async () => {
    const dir = tempDir('viva-archive-kill-');
    const streamDir = path.join(dir, 'archive', 'metrics');
    const cfg = await collectorConfig(
      dir,
      `[[outputs.archive]]
alias = "arch"
dir = "${path.join(dir, 'archive')}"
stream = "metrics"
period = "1s"

[[routes]]
name = "all"
destinations = ["archive"]

[[destinations]]
name = "archive"
outputs = ["arch"]
`,
      { collector: 'spool_fsync = "always"' },
    );
    const acked = new Set<number>();
    let seq = 0;
    let sending = true;
    let port = cfg.port;
    const sender = (async () => {
      while (sending) {
        const batch = makeMetrics('m', seq, 2000);
        seq += 2000;
        try {
          if ((await postBatch(port, batch)) === 204)
            for (const m of batch) acked.add(m.fields.seq as number);
        } catch {
          // The collector is down (killed): not acknowledged, sent again as new metrics later.
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();

    let c: CollectorHandle = await startCollector(cfg);
    const runs = [c];
    for (let kill = 0; kill < 2; kill++) {
      // SIGKILL as soon as a finished file is being written under its temp name.
      const caught = await waitFor(
        () => walk(streamDir).some((f) => isTempName(path.basename(f))),
        'a period being finished',
        60_000,
        1,
      );
      c.proc.child.kill('SIGKILL');
      await c.proc.exited;
      expect(caught).toBe(true);
      await expectOnlyWholeFiles(streamDir);
      c = await startCollector(cfg);
      runs.push(c);
      port = c.port;
    }
    await waitFor(() => acked.size > 12_000, 'more acknowledged metrics after the restarts', 60_000);
    sending = false;
    await sender;
    await waitFor(
      async () =>
        counterValue(await scrape(c.admin), 'viva_collector_destination_lag_records', {
          destination: 'archive',
        }) === 0,
      'the archive destination to catch up',
      120_000,
    );
    // Counted: files finished by this run, and the open periods the killed run left, finished at start.
    const metricsText = await scrape(c.admin);
    expect(
      counterValue(metricsText, 'viva_output_archive_files_total', { format: 'parquet' }),
    ).toBeGreaterThan(0);
    expect(counterValue(metricsText, 'viva_output_archive_recovered_periods_total')).toBeGreaterThan(0);
    c.proc.child.kill('SIGTERM');
    expect(await c.proc.exited).toBe(0);

    // A clean stop finishes the open period: only finished files and the manifest remain.
    const manifest = readManifest(streamDir);
    const onDisk = walk(streamDir).sort();
    const listedFiles = [...manifest.files.map((e) => e.file), 'manifest.json'].sort();
    // The collector's log goes with a mismatch, to tell why.
    const why = (ok: boolean): string =>
      ok ? '' : runs.map((r) => r.proc.stderr().slice(-3000)).join('\n---\n');
    expect({ onDisk, log: why(onDisk.join() === listedFiles.join()) }).toEqual({
      onDisk: listedFiles,
      log: '',
    });
    expect(manifest.files.length).toBeGreaterThan(4);
    const archived = new Set<number>();
    for (const e of manifest.files.filter((f) => f.format === 'lp_gz'))
      for (const m of parseLineProtocol(zlib.gunzipSync(fs.readFileSync(path.join(streamDir, e.file))))
        .metrics)
        archived.add(m.fields.seq as number);
    const lost = [...acked].filter((s) => !archived.has(s));
    expect(lost).toEqual([]);
    const [pq] = await duck<{ n: string }>(
      `SELECT count(DISTINCT seq) AS n FROM read_parquet('${streamDir}/*/*.parquet')`,
    );
    expect(Number(pq.n)).toBe(archived.size);
  }, 240_000);
});

/** Every file under a final name is whole: gzip that inflates and parses, Parquet DuckDB reads. */
async function expectOnlyWholeFiles(streamDir: string): Promise<void> {
  for (const f of walk(streamDir)) {
    const name = path.basename(f);
    const full = path.join(streamDir, f);
    if (name.endsWith('.lp.gz') && !isTempName(name)) {
      expect(parseLineProtocol(zlib.gunzipSync(fs.readFileSync(full))).errors).toEqual([]);
    } else if (name.endsWith('.parquet') && !isTempName(name)) {
      const [r] = await duck<{ n: string }>(`SELECT count(*) AS n FROM read_parquet('${full}')`);
      expect(Number(r.n)).toBeGreaterThan(0);
    } else if (name === 'manifest.json') {
      for (const e of readManifest(streamDir).files)
        expect(fs.existsSync(path.join(streamDir, e.file))).toBe(true);
    }
  }
}
