/**
 * The writer behind `viva agent --test`: serialized batches to stdout.
 */
import type { Serializer } from '../../format/types.ts';
import type { Metric } from '../../model/metric/metric.ts';
import type { OutputInstance } from '../../plugin/types.ts';

export class StdoutWriter implements OutputInstance {
  private readonly serializer: Serializer;
  constructor(serializer: Serializer) {
    this.serializer = serializer;
  }
  async write(metrics: Metric[]): Promise<void> {
    const data = this.serializer.serialize(metrics);
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(data, (e) => (e ? reject(e) : resolve())),
    );
  }
}
