import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpoolRecord, SpoolReader } from './reader.ts';
import type { Spool } from './spool.ts';
import { numberOf, openSpool, payload, tempDir } from './testing.ts';

type Op =
  | { kind: 'append'; n: number; size: number }
  | { kind: 'read'; reader: number; max: number; maxBytes: number }
  | { kind: 'commit'; reader: number; pick: number }
  | { kind: 'rewind'; reader: number }
  | { kind: 'reopen' };

const NAMES = ['a', 'b'];

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    n: fc.integer({ min: 1, max: 6 }),
    // Mostly small records, some larger than a read chunk's minimum (64 KiB).
    size: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 12, max: 300 }) },
      { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 150_000 }) },
    ),
  }),
  fc.record({
    kind: fc.constant('read' as const),
    reader: fc.integer({ min: 0, max: 1 }),
    max: fc.integer({ min: 1, max: 8 }),
    maxBytes: fc.integer({ min: 1, max: 400_000 }),
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

function open(segmentBytes: number): { s: Spool; readers: SpoolReader[] } {
  const s = openSpool(dir, { segmentBytes });
  spool = s;
  return { s, readers: NAMES.map((n) => s.reader(n)) };
}

async function run(segmentBytes: number, ops: Op[]): Promise<void> {
  let { s, readers } = open(segmentBytes);
  let appended = 0;
  const sizes: number[] = [];
  const model: ModelReader[] = NAMES.map(() => ({ committed: 0, readPos: 0, handed: [] }));
  for (const o of ops) {
    if (o.kind === 'append') {
      for (let i = 0; i < o.n; i++) {
        sizes.push(o.size + (i % 3));
        await s.append(payload(appended++, sizes[appended - 1]));
      }
    } else if (o.kind === 'read') {
      const m = model[o.reader];
      const ac = new AbortController();
      if (m.readPos === appended) ac.abort();
      const got = await readers[o.reader].read(o.max, o.maxBytes, ac.signal);
      // Records while fewer than max and fewer than maxBytes of payload so far (at least one).
      const want: number[] = [];
      for (let i = m.readPos, bytes = 0; i < appended && want.length < o.max && bytes < o.maxBytes; i++) {
        want.push(i);
        bytes += sizes[i];
      }
      expect(got.map(numberOf)).toEqual(want);
      got.forEach((rec, i) => expect(rec.payload.equals(payload(want[i], sizes[want[i]]))).toBe(true));
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
      ({ s, readers } = open(segmentBytes));
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
    // Small segments exercise rolls and deletion; large ones several big records per segment.
    const segmentBytes = fc.constantFrom(700, 5000, 200_000);
    await fc.assert(
      fc.asyncProperty(segmentBytes, fc.array(op, { minLength: 1, maxLength: 60 }), async (segBytes, ops) => {
        await spool?.close();
        cleanup();
        ({ dir, cleanup } = tempDir());
        await run(segBytes, ops);
      }),
      { numRuns: 100 },
    );
  });
});
