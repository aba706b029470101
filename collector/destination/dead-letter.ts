/**
 * Dead letters: metrics an output refused for good (a permanent or partial WriteError), kept per
 * destination in a line protocol file an operator can read, grep and replay:
 *
 *   # viva-dead-letter at=2026-12-03T11:00:00.000Z output=influx-a count=2 reason="400 ..."
 *   cpu,host=a usage=1 1700000000000000000
 *   ...
 *
 * `viva replay dead-letter` reads it back (core/app/replay sources). Bounded by maxBytes; what
 * does not fit is dropped and counted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { serializeLineProtocol } from '../../core/format/lineprotocol/index.ts';
import type { Metric } from '../../core/model/metric/metric.ts';

export const DEAD_LETTER_MARK = '# viva-dead-letter ';

/** The file of one destination's dead letters. */
export function deadLetterPath(dir: string, destination: string): string {
  return path.join(dir, `${destination.replace(/[^A-Za-z0-9_.-]/g, '_')}.lp`);
}

export class DeadLetterFile {
  readonly file: string;
  private readonly maxBytes: number;
  private size: number;

  constructor(dir: string, destination: string, maxBytes: number) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = deadLetterPath(dir, destination);
    this.maxBytes = maxBytes;
    try {
      this.size = fs.statSync(this.file).size;
    } catch {
      this.size = 0;
    }
  }

  /** Appends a batch with its reason; returns false when it did not fit (the caller counts it). */
  append(metrics: readonly Metric[], output: string, reason: string, at = Date.now()): boolean {
    const header =
      `${DEAD_LETTER_MARK}at=${new Date(at).toISOString()} output=${output} count=${metrics.length} ` +
      `reason=${JSON.stringify(reason.replace(/[\r\n]+/g, ' ').slice(0, 500))}\n`;
    const body = serializeLineProtocol(metrics).data;
    const n = Buffer.byteLength(header) + body.length;
    if (this.size + n > this.maxBytes) return false;
    fs.appendFileSync(this.file, Buffer.concat([Buffer.from(header), body]));
    this.size += n;
    return true;
  }
}

/** One batch read back from a dead-letter file. */
export interface DeadLetterBatch {
  at: number;
  output: string;
  reason: string;
  /** Line protocol lines of the batch. */
  lines: string;
}

/** Reads the batches of a dead-letter file, in order. */
export function readDeadLetters(file: string): DeadLetterBatch[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: DeadLetterBatch[] = [];
  let cur: DeadLetterBatch | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith(DEAD_LETTER_MARK)) {
      const m = /at=(\S+) output=(\S+) count=\d+ reason=(.*)$/.exec(line.slice(DEAD_LETTER_MARK.length));
      cur = {
        at: m === null ? 0 : Date.parse(m[1]),
        output: m?.[2] ?? '',
        reason: m === null ? '' : (JSON.parse(m[3]) as string),
        lines: '',
      };
      out.push(cur);
    } else if (line !== '' && cur !== null) {
      cur.lines += line + '\n';
    }
  }
  return out;
}
