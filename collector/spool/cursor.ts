/**
 * Cursor files: `<dir>/cursors/<name>.json` = {"version":1,"segment":id,"offset":bytes,"seq":n},
 * where the reader's first uncommitted record starts and the seq of its last committed record
 * (0 when none). Replaced atomically: a temporary file, then rename.
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, VivaError } from '../../core/model/errors/index.ts';

/** A committed cursor. */
export interface Cursor {
  segment: number;
  offset: number;
  seq: number;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const SUFFIX = '.json';

/** Reader names become file names: letters, digits, `_`, `.`, `-`. */
export function checkReaderName(name: string): void {
  if (!NAME.test(name)) {
    throw new VivaError(
      ErrorCode.CONFIG_INVALID,
      `spool: invalid reader name "${name}" (letters, digits, _ . -)`,
    );
  }
}

export function cursorsDir(dir: string): string {
  return join(dir, 'cursors');
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/** The cursor of `name`, or null when absent or unreadable. */
export function readCursor(dir: string, name: string): Cursor | null {
  let text: string;
  try {
    text = readFileSync(join(cursorsDir(dir), name + SUFFIX), 'utf8');
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as Partial<Cursor> & { version?: unknown };
    if (v.version !== 1 || !isCount(v.segment) || !isCount(v.offset) || !isCount(v.seq)) return null;
    return { segment: v.segment, offset: v.offset, seq: v.seq };
  } catch {
    return null;
  }
}

/** Every readable cursor in the spool (open or not), by name. */
export function readAllCursors(dir: string): Map<string, Cursor> {
  const out = new Map<string, Cursor>();
  for (const file of readdirSync(cursorsDir(dir))) {
    if (!file.endsWith(SUFFIX)) continue;
    const name = file.slice(0, -SUFFIX.length);
    const c = readCursor(dir, name);
    if (c !== null) out.set(name, c);
  }
  return out;
}

/** Removes temporary files a crash left behind. */
export function cleanCursorTemps(dir: string): void {
  for (const file of readdirSync(cursorsDir(dir))) {
    if (file.endsWith('.tmp')) rmSync(join(cursorsDir(dir), file), { force: true });
  }
}

/** Replaces the cursor of `name` atomically; `durable` fsyncs the file before the rename. */
export function writeCursor(dir: string, name: string, c: Cursor, durable: boolean): void {
  const path = join(cursorsDir(dir), name + SUFFIX);
  const tmp = path + '.tmp';
  const text = JSON.stringify({ version: 1, segment: c.segment, offset: c.offset, seq: c.seq });
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, text);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
