/**
 * The stdout output: writes each batch to standard output in the chosen format, waiting for
 * the stream to drain so a slow terminal or pipe pushes back instead of growing memory.
 */
import type { Writable } from 'node:stream';
import type { Serializer } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance } from '../../../core/plugin/types.ts';

/** Writes a buffer and resolves once the stream accepted it (after 'drain' when needed). */
export function writeStream(stream: Writable, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = stream.write(data, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else stream.once('drain', resolve);
  });
}

export class StdoutOutput implements OutputInstance {
  private readonly serializer: Serializer;
  private readonly stream: Writable;

  constructor(serializer: Serializer, stream: Writable = process.stdout) {
    this.serializer = serializer;
    this.stream = stream;
  }

  async write(metrics: Metric[]): Promise<void> {
    await writeStream(this.stream, this.serializer.serialize(metrics));
  }
}
