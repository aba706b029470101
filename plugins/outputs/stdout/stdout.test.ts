import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createSerializer } from '../../../core/format/registry.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import { StdoutOutput } from './stdout.ts';

describe('stdout output', () => {
  it('should write line protocol with sorted tags and exact timestamps', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    const out = new StdoutOutput(createSerializer('influx', { precision: 'ns' }), stream);
    const m = new Metric('cpu', { z: '1', a: '2' }, { usage: 1.5 }, 1_700_000_000_123, 456_789);
    m.setInt('n', 3);
    await out.write([m]);
    expect(text).toBe('cpu,a=2,z=1 usage=1.5,n=3i 1700000000123456789\n');
  });

  it('should wait for the stream to drain when it is full', async () => {
    const stream = new PassThrough({ highWaterMark: 16 });
    const out = new StdoutOutput(createSerializer('influx', {}), stream);
    let done = false;
    const p = out.write([new Metric('a_long_measurement_name', {}, { v: 1 }, 0)]).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    stream.resume();
    await p;
    expect(done).toBe(true);
  });
});
