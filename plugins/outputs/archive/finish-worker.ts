/**
 * Finishes open periods off the event loop: the Parquet build and gzip of a large period take
 * seconds of CPU, during which a collector's ingest would otherwise not answer. One worker per
 * archive output, one period at a time, in the order asked.
 */
import { parentPort } from 'node:worker_threads';
import { finishOpenFile, type FinishOptions, type OpenName, type OpenStats } from './finalize.ts';

interface Job {
  id: number;
  file: string;
  open: OpenName & { stats?: OpenStats };
  opts: FinishOptions;
}

let chain: Promise<void> = Promise.resolve();
parentPort?.on('message', (job: Job) => {
  chain = chain.then(() =>
    finishOpenFile(job.file, job.open, job.opts).then(
      (done) => parentPort?.postMessage({ id: job.id, done }),
      (e: unknown) =>
        parentPort?.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) }),
    ),
  );
});
