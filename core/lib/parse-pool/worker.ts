/**
 * The thread of a ParsePool (pool.ts): parses line protocol bodies with its own parser (and so
 * its own series cache) and answers with the metrics in the binary batch format, transferred,
 * plus the first parse errors and their count.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { encodeBatch } from '../../format/binary/index.ts';
import { createParser } from '../../format/registry.ts';
import type { WorkerData, WorkerReply, WorkerRequest } from './protocol.ts';
import { MAX_ERRORS } from './protocol.ts';

const port = parentPort;
if (port === null) throw new Error('core/lib/parse-pool/worker.ts runs as a worker thread');
const data = workerData as WorkerData;
const parser = createParser('influx', { seriesCache: data.seriesCache });

/** The bytes in an ArrayBuffer of their own (a small Buffer shares Node's pool slab): transferable. */
function owned(b: Uint8Array): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return b;
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return copy;
}

port.on('message', (msg: WorkerRequest) => {
  // A test's way to make this thread fail as a bug would (the pool must lose nothing then).
  if (msg.crash === true) throw new Error('parse worker crash requested');
  const body = Buffer.from(msg.body.buffer, msg.body.byteOffset, msg.body.byteLength);
  const { metrics, errors } = parser.parse(body, { precision: msg.precision, defaultTime: msg.now });
  const out = owned(encodeBatch(metrics));
  const reply: WorkerReply = {
    id: msg.id,
    data: out,
    errors: errors.slice(0, MAX_ERRORS),
    errorCount: errors.length,
  };
  port.postMessage(reply, [out.buffer as ArrayBuffer]);
});
