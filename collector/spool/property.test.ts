import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpoolRecord, SpoolReader } from './reader.ts';
import type { Spool } from './spool.ts';
import { numberOf, openSpool, payload, tempDir } from './testing.ts';

type Op =
  | { kind: 'append'; n: number }
  | { kind: 'read'; reader: number; max: number }
  | { kind: 'commit'; reader: number; pick: number }
  | { kind: 'rewind'; reader: number }
  | { kind: 'reopen' };

const NAMES = ['a', 'b'];

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), n: fc.integer({ min: 1, max: 6 }) }),
  fc.record({
    kind: fc.constant('read' as const),
    reader: fc.integer({ min: 0, max: 1 }),
    max: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ kind: fc.constant('commit' as const), reader: fc.integer({ min: 0, max: 1 }), pick: fc.nat() }),
  fc.record({ kind: fc.constant('rewind' as const), reader: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ kind: fc.constant('reopen' as const) }),
);

/** The model: what was appended, and per reader what it committed and where it reads. */
interface ModelReader {
  committed: number;
  readPos: number;
  /** Records handed out since the last commit, with their index in `appended`. */
  handed: { rec: SpoolRecord; index: number }[];
}

let dir: string;
let cleanup: () => void;
let spool: Spool | null = null;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});

afterEach(async () => {
  await spool?.close();
  spool = null;
  cleanup();
});

function open(): { s: Spool; readers: SpoolReader[] } {
  const s = openSpool(dir, { segmentBytes: 700 });
  spool = s;
  return { s, readers: NAMES.map((n) => s.reader(n)) };
}

async function run(ops: Op[]): Promise<void> {
  let { s, readers } = open();
  let appended = 0;
  const model: ModelReader[] = NAMES.map(() => ({ committed: 0, readPos: 0, handed: [] }));
  for (const o of ops) {
    if (o.kind === 'append') {
      for (let i = 0; i < o.n; i++) await s.append(payload(appended++, 60 + (appended % 50)));
    } else if (o.kind === 'read') {
      const m = model[o.reader];
      const ac = new AbortController();
      if (m.readPos === appended) ac.abort();
      const got = await readers[o.reader].read(o.max, 1 << 20, ac.signal);
      const want = Array.from({ length: Math.min(o.max, appended - m.readPos) }, (_, i) => m.readPos + i);
      expect(got.map(numberOf)).toEqual(want);
      got.forEach((rec, i) => m.handed.push({ rec, index: want[i] }));
      m.readPos += got.length;
    } else if (o.kind === 'commit') {
      const m = model[o.reader];
      if (m.handed.length === 0) continue;
      const h = m.handed[o.pick % m.handed.length];
      readers[o.reader].commit(h.rec);
      m.committed = Math.max(m.committed, h.index + 1);
      m.handed = m.handed.filter((x) => x.index >= m.committed);
    } else if (o.kind === 'rewind') {
      const m = model[o.reader];
      readers[o.reader].rewind();
      m.readPos = m.committed;
      m.handed = [];
    } else {
      await s.close();
      ({ s, readers } = open());
      for (const m of model) {
        m.readPos = m.committed;
        m.handed = [];
      }
    }
    model.forEach((m, i) => expect(readers[i].lagRecords).toBe(appended - m.committed));
    expect(s.records).toBe(appended - Math.min(...model.map((m) => m.committed)));
  }
}

describe('Spool against an in-memory model', () => {
  it('should agree on what every reader reads, commits and lags, through appends, rewinds and reopens', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
        await spool?.close();
        cleanup();
        ({ dir, cleanup } = tempDir());
        await run(ops);
      }),
      { numRuns: 60 },
    );
  });
});
