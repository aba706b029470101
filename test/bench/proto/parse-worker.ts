/**
 * PROTOTYPE (benchmark only): the parse worker of ParsePool. Parses a line protocol body and
 * answers with the metrics in the binary batch format plus the first parse errors.
 */
import { parentPort } from 'node:worker_threads';
import { encodeBatch } from '../../../core/format/binary/index.ts';
import { createParser } from '../../../core/format/registry.ts';
import { transferList } from './parse-pool.ts';

const parser = createParser('influx');
const port = parentPort;
if (port === null) throw new Error('parse-worker.ts runs as a worker thread');

port.on('message', (msg: { id: number; body: Uint8Array; now: number }) => {
  const body = Buffer.from(msg.body.buffer, msg.body.byteOffset, msg.body.byteLength);
  const { metrics, errors } = parser.parse(body, { defaultTime: [msg.now, 0] });
  const data = encodeBatch(metrics);
  port.postMessage(
    { id: msg.id, data, errors: errors.slice(0, 10), errorCount: errors.length },
    transferList(data),
  );
});
