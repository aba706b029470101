import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drain, numberOf, openSpool, tempDir } from './testing.ts';

const CHILD = fileURLToPath(new URL('./fixtures/full-disk-appender.ts', import.meta.url));

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});

afterEach(() => cleanup());

/** Runs the appender with a 50 KiB file size limit (the kernel refuses writes past it, like a full disk). */
function runLimited(): Promise<{ appended: number[]; error: string; read: number[] }> {
  return new Promise((resolve, reject) => {
    const cmd = `ulimit -f 100 && exec "${process.execPath}" "${CHILD}" "${dir}"`;
    const child = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as { appended: number[]; error: string; read: number[] });
      else reject(new Error(`appender failed (${code}): ${err}`));
    });
  });
}

describe('Spool when a write fails', () => {
  it('should reject that append, show readers nothing of it, and take the next append that fits', async () => {
    const r = await runLimited();
    expect(r.error).toBe('EFBIG');
    expect(r.appended).toEqual([0, 1, 2, 3, 4, 100]);
    expect(r.read).toEqual(r.appended);
    const corrupt: string[] = [];
    const s = openSpool(dir, { onCorrupt: (_n, detail) => corrupt.push(detail) });
    try {
      expect((await drain(s.reader('again'))).map(numberOf)).toEqual(r.appended);
      expect(corrupt).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
