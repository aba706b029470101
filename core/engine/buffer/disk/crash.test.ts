import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskBuffer } from './buffer.ts';
import { batch, tempDir } from './testing.ts';

const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));
const BATCH_SIZE = 20;

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});

afterEach(() => cleanup());

/** Runs the writer until it reported `appends` appends (or 10 s), SIGKILLs it, returns its progress. */
function runAndKill(fsync: string, appends: number): Promise<{ appended: number; acked: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir, fsync], { stdio: ['ignore', 'pipe', 'pipe'] });
    const progress = { appended: -1, acked: -1 };
    let rest = '';
    let stderr = '';
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(kill, 10_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const [what, n] = line.split(' ');
        if (what === 'appended') progress.appended = Number(n);
        if (what === 'acked') progress.acked = Number(n);
      }
      if (progress.appended >= appends) kill();
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(progress);
      else reject(new Error(`writer exited on its own: ${stderr}`));
    });
  });
}

describe('DiskBuffer after SIGKILL', () => {
  for (const fsync of ['always', 'interval', 'never']) {
    it(`should recover a contiguous, valid run of batches with nothing invented (fsync ${fsync})`, async () => {
      const progress = await runAndKill(fsync, 400);
      expect(progress.appended).toBeGreaterThan(50);
      const b = DiskBuffer.open({ dir, fsync: 'never' });
      try {
        expect(b.recovery.corruptRecords).toBe(0);
        const ids: number[] = [];
        for (let t = b.take(BATCH_SIZE); t !== null; t = b.take(BATCH_SIZE)) {
          const id = Math.floor((t.metrics[0].fields.seq as number) / 1_000_000);
          expect(t.metrics).toEqual(batch(id, BATCH_SIZE));
          ids.push(id);
          b.ack(t);
        }
        expect(ids.length).toBeGreaterThan(0);
        // Acks are persisted before they are reported; appends are in the file before they are.
        expect(ids[0]).toBeGreaterThan(progress.acked);
        expect(ids.at(-1)).toBeGreaterThanOrEqual(progress.appended);
        expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => ids[0] + i));
      } finally {
        await b.close();
      }
    });
  }
});
