/**
 * Test helpers of the spool: a temporary directory, numbered payloads, draining a reader.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Spool } from './spool.ts';
import type { SpoolOptions } from './spool.ts';
import type { SpoolReader, SpoolRecord } from './reader.ts';

/** A fresh directory under the OS temp dir, and its removal. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'viva-spool-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Opens a spool with test defaults (silent log, fsync never, unbounded). */
export function openSpool(dir: string, opts: Partial<SpoolOptions> = {}): Spool {
  return Spool.open({ dir, maxBytes: 1 << 40, fsync: 'never', log: pino({ level: 'silent' }), ...opts });
}

/** Payload `i`: its number in text, padded to `size` bytes so records have some weight. */
export function payload(i: number, size = 100): Buffer {
  const b = Buffer.alloc(Math.max(size, 12), 0x2e);
  b.write(String(i).padStart(12, '0'));
  return b;
}

/** The number a payload() carries. */
export function numberOf(rec: SpoolRecord): number {
  return Number(rec.payload.subarray(0, 12).toString());
}

/** Reads everything currently readable (never waits). */
export async function drain(r: SpoolReader, perRead = 7, maxBytes = 1 << 20): Promise<SpoolRecord[]> {
  const out: SpoolRecord[] = [];
  for (;;) {
    const ac = new AbortController();
    // Whatever is readable comes back at once; an empty log would wait, so abort right after.
    const p = r.read(perRead, maxBytes, ac.signal);
    setImmediate(() => ac.abort());
    const got = await p;
    if (got.length === 0) return out;
    out.push(...got);
  }
}
