import { describe, expect, it } from 'vitest';
import { TestAccumulator, testContext } from '../../plugin/testing.ts';
import type { Cell, QueryResult, SqlDriver } from './driver.ts';
import { SqlRunner } from './runner.ts';

/** A driver whose statements finish when the test says (the timing of a slow server). */
class GatedDriver implements SqlDriver {
  readonly marks: Cell[] = [];
  private release: (() => void)[] = [];

  placeholder(): string {
    return '?';
  }

  async query(_sql: string, params: Cell[]): Promise<QueryResult> {
    this.marks.push(params[0]);
    await new Promise<void>((resolve) => this.release.push(resolve));
    const from = Number(params[0]);
    return { columns: [{ name: 'id', kind: 'int' }], rows: [[from + 1], [from + 2]] };
  }

  finish(): void {
    for (const r of this.release.splice(0)) r();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('SQL query runner', () => {
  it('should not start a gather while one the agent gave up on still runs, so no row is read twice', async () => {
    const driver = new GatedDriver();
    const runner = new SqlRunner(
      [
        {
          sql: 'SELECT id FROM events WHERE id > {{mark}}',
          measurement: 'ev',
          tag_columns: [],
          field_columns: [],
          time_format: 'unix',
          mark_column: 'id',
          mark_start: 0,
        },
      ],
      testContext({ kind: 'input', name: 'sql' }),
      { driver: () => driver, queryTimeoutMs: 1000, extraTags: {}, source: 'test' },
    );
    const acc = new TestAccumulator();
    const abandoned = runner.gather(acc); // the agent's timeout passes while this one waits
    await runner.gather(acc); // skipped: the first still runs
    driver.finish();
    await abandoned;
    const next = runner.gather(acc);
    driver.finish();
    await new Promise((r) => setImmediate(r));
    driver.finish();
    await next;
    expect(driver.marks).toEqual([0, 2]);
    expect(acc.metrics.map((m) => m.fields.id)).toEqual([1, 2, 3, 4]);
  });
});
