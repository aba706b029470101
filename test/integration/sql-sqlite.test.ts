/**
 * The sql input on a real SQLite file, in a real `viva` agent: each event read once across a
 * restart of the agent, exact types in the line protocol written, and a bad query counted in the
 * input's errors and logged with SQLite's message while the good query goes on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { counterValue, freePort, scrape, startViva, tempDir, waitFor } from '../helpers/viva.ts';
import { fileLines, readOnceAcrossRestart } from './support/sql.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function database(dir: string): string {
  const file = path.join(dir, 'events.db');
  const db = new DatabaseSync(file);
  db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, host TEXT, big INTEGER, ratio REAL, at TEXT)');
  db.close();
  return file;
}

describe('sql input on a SQLite file, in the agent', () => {
  it('should read each event once across a restart of the agent, with exact types and times', async () => {
    const dir = tempDir('viva-sql-sqlite-');
    dirs.push(dir);
    const file = database(dir);
    const lines = await readOnceAcrossRestart({
      dir,
      env: { EVENTS_DB: file },
      inputToml: `[[inputs.sql]]
driver = "sqlite"
dsn = "\${EVENTS_DB}"
[[inputs.sql.query]]
sql = "SELECT id, host, big, ratio, at FROM events WHERE id > {{mark}} ORDER BY id LIMIT 3"
measurement = "events"
tag_columns = ["host"]
time_column = "at"
mark_column = "id"`,
      insert: (ids) => {
        const db = new DatabaseSync(file);
        const add = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?)');
        for (const id of ids)
          add.run(
            id,
            `h${id % 2}`,
            9007199254740993n + BigInt(id),
            id / 4,
            `2026-12-03 10:00:0${id}.123456789`,
          );
        db.close();
        return Promise.resolve();
      },
    });
    // LIMIT 3 reads the first five in two steps; none is lost or repeated at the step.
    const ns = (second: number): string => `${Date.UTC(2026, 11, 3, 10, 0, second) / 1000}123456789`;
    expect(lines[0]).toBe(`events,host=h1 id=1i,big=9007199254740994i,ratio=0.25 ${ns(1)}`);
    expect(lines[7]).toBe(`events,host=h0 id=8i,big=9007199254741001i,ratio=2 ${ns(8)}`);
  });

  it('should count and log a bad query while the good one goes on', async () => {
    const dir = tempDir('viva-sql-sqlite-');
    dirs.push(dir);
    const file = database(dir);
    const port = await freePort();
    const cfg = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      cfg,
      `[agent]
interval = "200ms"
flush_interval = "100ms"
http_listen = "127.0.0.1:${port}"
data_dir = "${dir}/data"
omit_hostname = true
[[inputs.sql]]
driver = "sqlite"
dsn = "${file}"
[[inputs.sql.query]]
sql = "SELECT * FROM no_such_table"
measurement = "bad"
[[inputs.sql.query]]
sql = "SELECT count(*) AS n FROM events"
measurement = "good"
[[outputs.file]]
files = ["${dir}/out.lp"]
`,
    );
    const p = startViva(['agent', '-c', cfg]);
    try {
      await waitFor(
        async () => counterValue(await scrape(port), 'viva_input_errors_total', { plugin: 'sql' }) >= 3,
        'three failed gathers counted',
        60_000,
      );
      await waitFor(() => fileLines(path.join(dir, 'out.lp')).length >= 3, 'the good query written', 60_000);
      const text = await scrape(port);
      expect(
        counterValue(text, 'viva_input_sql_query_errors_total', { measurement: 'bad' }),
      ).toBeGreaterThanOrEqual(3);
      expect(counterValue(text, 'viva_input_sql_query_errors_total', { measurement: 'good' })).toBe(0);
      expect(fileLines(path.join(dir, 'out.lp'))[0]).toMatch(/^good n=0i \d+$/);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
    const logged = p.stderr() + p.stdout();
    expect(logged).toContain('no such table: no_such_table');
    // Throttled: three failures or more, but the query's message once (within 10 s).
    expect(logged.match(/SQL query failed/g)).toHaveLength(1);
    expect(logged.match(/gather failed/g)).toHaveLength(1);
  });
});
