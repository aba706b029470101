/**
 * SQLite through Node's own `node:sqlite`: one database file opened on first use. Integers are
 * read as bigint, so an INTEGER stays an integer and a REAL a float;
 * each value's storage class is its kind. Statements run synchronously, so keep them small; the
 * deadline is how long to wait for a lock another process holds.
 */
import { DatabaseSync } from 'node:sqlite';
import type { Cell, Column, QueryResult, SqlDriver } from './driver.ts';

/** SQLite integers stay bigint: that is what tells them from REALs (see setCellField). */
function cell(v: unknown): Cell {
  return v === undefined ? null : (v as Cell);
}

/** One SQLite database file. */
export class SqliteDriver implements SqlDriver {
  private readonly file: string;
  private readonly readOnly: boolean;
  private db: DatabaseSync | undefined;
  private busyTimeoutMs = -1;

  constructor(file: string, readOnly: boolean) {
    this.file = file;
    this.readOnly = readOnly;
  }

  placeholder(): string {
    return '?';
  }

  private open(timeoutMs: number): DatabaseSync {
    if (this.db === undefined || this.busyTimeoutMs !== timeoutMs) {
      this.db?.close();
      this.db = new DatabaseSync(this.file, { readOnly: this.readOnly, timeout: timeoutMs });
      this.busyTimeoutMs = timeoutMs;
    }
    return this.db;
  }

  query(sql: string, params: Cell[], timeoutMs: number): Promise<QueryResult> {
    try {
      const stmt = this.open(timeoutMs).prepare(sql);
      stmt.setReadBigInts(true);
      stmt.setReturnArrays(true);
      const columns: Column[] = stmt.columns().map((c) => ({ name: c.name, kind: 'auto' }));
      // SQLite has no boolean: it stores 1 and 0.
      const bound = params.map((p) => (typeof p === 'boolean' ? Number(p) : p));
      const raw = stmt.all(...bound) as unknown as unknown[][];
      return Promise.resolve({ columns, rows: raw.map((row) => row.map(cell)) });
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    return Promise.resolve();
  }
}
