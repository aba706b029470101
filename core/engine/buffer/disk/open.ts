/**
 * The factory the pipeline builder calls for an output's disk buffer: opens (and recovers) the
 * buffer and logs what recovery found, since the buffer itself never logs.
 */
import type { Logger } from 'pino';
import type { DropHandler, WhenFull } from '../types.ts';
import { DiskBuffer } from './buffer.ts';
import type { FsyncPolicy } from './queue.ts';

/** What the pipeline hands the factory (the shape of DiskBufferFactory in core/engine/pipeline/build.ts). */
export interface OpenDiskBufferOptions {
  dir: string;
  maxBytes: number;
  whenFull: WhenFull;
  fsync: FsyncPolicy;
  onDrop: DropHandler;
  log: Logger;
  segmentBytes?: number;
  fsyncIntervalMs?: number;
}

/** Opens an output's disk buffer, logging a torn tail or corruption found on the way. */
export function openDiskBuffer(opts: OpenDiskBufferOptions): Promise<DiskBuffer> {
  const { log, ...rest } = opts;
  const buffer = DiskBuffer.open(rest);
  const r = buffer.recovery;
  if (r.corruptRecords > 0) {
    log.warn(
      { dir: opts.dir, records: r.corruptRecords, metrics: r.corruptMetrics, bytes: r.corruptBytes },
      'disk buffer skipped corrupt records',
    );
  }
  if (r.tornBytes > 0)
    log.info({ dir: opts.dir, bytes: r.tornBytes }, 'disk buffer cut an incomplete write at its tail');
  return Promise.resolve(buffer);
}
