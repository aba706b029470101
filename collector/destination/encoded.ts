/**
 * Spool batches a destination hands to its output still in the binary batch format, when nothing
 * on their way needs metric objects: every metric of the batch goes to one route of the
 * destination (decided by the sending agent alone, see Router.planFor), the route has no
 * processors and the output has no filter of its own but takes the binary form (`writeBinary`).
 * Everything else (and a failed write's dead letters or retries) decodes them as before.
 */
import { decodeBatch } from '../../core/format/binary/index.ts';
import type { CompiledFilter } from '../../core/engine/filter/filter.ts';
import type { Metric } from '../../core/model/metric/metric.ts';
import type { OutputInstance } from '../../core/plugin/types.ts';

/** Binary batches, the number of metrics of each and in all. */
export interface Encoded {
  readonly batches: Uint8Array[];
  readonly counts: number[];
  count: number;
}

export function emptyEncoded(): Encoded {
  return { batches: [], counts: [], count: 0 };
}

export function addEncoded(e: Encoded, batch: Uint8Array, count: number): void {
  e.batches.push(batch);
  e.counts.push(count);
  e.count += count;
}

/** True when an output can be given binary batches: it takes them and filters nothing. */
export function takesBinary(o: { instance: OutputInstance; filter: CompiledFilter }): boolean {
  return o.instance.writeBinary !== undefined && !o.filter.active;
}

/** The metrics of binary batches, in order (what `write` would have been given). */
export function decodeEncoded(e: Encoded): Metric[] {
  if (e.batches.length === 1) return decodeBatch(e.batches[0]);
  const out: Metric[] = [];
  for (const b of e.batches) for (const m of decodeBatch(b)) out.push(m);
  return out;
}

/** Groups batches into writes of at most `size` metrics (a larger batch is written alone). */
export function chunkEncoded(e: Encoded, size: number): Encoded[] {
  if (e.count <= size) return [e];
  const out: Encoded[] = [];
  let cur = emptyEncoded();
  e.batches.forEach((b, i) => {
    if (cur.count > 0 && cur.count + e.counts[i] > size) {
      out.push(cur);
      cur = emptyEncoded();
    }
    addEncoded(cur, b, e.counts[i]);
  });
  if (cur.count > 0) out.push(cur);
  return out;
}
