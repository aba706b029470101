/**
 * Test helpers of the disk buffer: temporary directories and numbered metrics whose content
 * tells which batch and position they came from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metric } from '../../../model/metric/metric.ts';
import type { Delivery } from '../../pipeline/delivery.ts';
import type { OutputBuffer } from '../types.ts';

/** A fresh directory under the OS temp dir, and its removal. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'viva-disk-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Batch `b` of `n` metrics; metric i carries seq = b * 1_000_000 + i. */
export function batch(b: number, n: number): Metric[] {
  const out: Metric[] = [];
  for (let i = 0; i < n; i++) {
    const m = new Metric(
      'disk_test',
      { host: 'h' + (i % 3), batch: String(b) },
      { v: i * 0.5 },
      1_700_000_000_000 + b,
      i,
    );
    m.setInt('seq', b * 1_000_000 + i);
    out.push(m);
  }
  return out;
}

/** The seq fields of metrics, for comparing what came back with what went in. */
export function seqs(metrics: readonly Metric[]): number[] {
  return metrics.map((m) => m.fields.seq as number);
}

/** Adds a batch to a buffer whose fsync policy makes appends synchronous ('never', 'interval'). */
export function put(b: OutputBuffer, metrics: Metric[], delivery: Delivery | null = null): void {
  const pending = b.add(metrics, delivery);
  if (pending !== undefined) throw new Error('expected a synchronous append');
}
