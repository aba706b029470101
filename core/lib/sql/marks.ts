/**
 * High-water marks of incremental queries: per query the largest value of its mark column seen
 * (an id or a time), persisted in the plugin's state directory so that a restart reads on from
 * there. A mark is saved once the rows up to it were delivered or durably buffered, with an
 * atomic write (temp file + rename), so a crash re-reads at most what was not yet delivered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic.ts';
import type { Cell } from './driver.ts';
import { parseTimestamp } from './rows.ts';

/** A mark: integers, floats and texts (timestamps compare as times). */
export type Mark = number | bigint | string;

interface Saved {
  type: 'int' | 'float' | 'text';
  value: string;
}

function encode(m: Mark): Saved {
  if (typeof m === 'bigint' || Number.isInteger(m)) return { type: 'int', value: String(m) };
  if (typeof m === 'number') return { type: 'float', value: String(m) };
  return { type: 'text', value: m };
}

function decode(s: Saved): Mark | undefined {
  if (typeof s !== 'object' || s === null || typeof s.value !== 'string') return undefined;
  if (s.type === 'int' && /^-?\d+$/.test(s.value)) {
    const n = Number(s.value);
    return Number.isSafeInteger(n) ? n : BigInt(s.value);
  }
  if (s.type === 'float') return Number(s.value);
  return s.type === 'text' ? s.value : undefined;
}

/** Negative, zero or positive as a is before, at or after b. */
export function compareMarks(a: Mark, b: Mark): number {
  const intLike = (x: Mark): boolean =>
    typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x));
  if (intLike(a) && intLike(b)) {
    const d = BigInt(a) - BigInt(b);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }
  if (typeof a !== 'string' && typeof b !== 'string') return Number(a) - Number(b);
  const ta = parseTimestamp(String(a));
  const tb = parseTimestamp(String(b));
  if (ta !== undefined && tb !== undefined) return ta[0] - tb[0] || ta[1] - tb[1];
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** The mark a cell can be; undefined for NULL, booleans and bytes. */
export function cellMark(v: Cell): Mark | undefined {
  return typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' ? v : undefined;
}

/** Marks of one plugin instance, by query key, in one JSON file. */
export class MarkStore {
  private readonly file: string;
  private readonly marks = new Map<string, Mark>();

  constructor(stateDir: string, fileName: string) {
    this.file = path.join(stateDir, fileName);
  }

  /** Reads the saved marks; a missing file is none, an unreadable one an error. */
  load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const saved = JSON.parse(text) as Record<string, Saved>;
    for (const [key, s] of Object.entries(saved)) {
      const m = decode(s);
      if (m !== undefined) this.marks.set(key, m);
    }
  }

  get(key: string): Mark | undefined {
    return this.marks.get(key);
  }

  /** Records a delivered mark and writes the file (synchronously: it is small and rare). */
  save(key: string, mark: Mark): void {
    const old = this.marks.get(key);
    if (old !== undefined && compareMarks(old, mark) >= 0) return;
    this.marks.set(key, mark);
    const out: Record<string, Saved> = {};
    for (const [k, m] of this.marks) out[k] = encode(m);
    writeFileAtomic(this.file, JSON.stringify(out, null, 1));
  }
}
