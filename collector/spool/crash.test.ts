import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drain, numberOf, openSpool, payload, tempDir } from './testing.ts';

const CHILD = fileURLToPath(new URL('./fixtures/crash-appender.ts', import.meta.url));

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});

afterEach(() => cleanup());

/** Runs the appender until it confirmed `target` appends, SIGKILLs it, returns the confirmed numbers. */
function runAndKill(target: number, first: number): Promise<Set<number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const confirmed = new Set<number>();
    let rest = '';
    let stderr = '';
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(kill, 20_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('ok ')) confirmed.add(Number(line.slice(3)));
      if (confirmed.size >= target) kill();
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(confirmed);
      else reject(new Error(`appender exited on its own: ${stderr}`));
    });
  });
}

describe('Spool after SIGKILL', () => {
  it('should hold every append that resolved (fsync always), intact and in order', async () => {
    let first = 0;
    for (let round = 0; round < 3; round++) {
      const confirmed = await runAndKill(50 + Math.floor(Math.random() * 400), first);
      expect(confirmed.size).toBeGreaterThan(0);
      const s = openSpool(dir);
      try {
        const got = await drain(s.reader(`check${round}`), 50);
        const numbers = got.map(numberOf);
        // Appends are written in call order, so what survived (every round) is a contiguous run from 0.
        expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i));
        for (const n of confirmed) expect(numbers).toContain(n);
        for (const r of got)
          expect(r.payload).toEqual(payload(numberOf(r), 100 + ((numberOf(r) * 7919) % 3000)));
        first = numbers.length;
        const seqs = got.map((r) => r.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      } finally {
        await s.close();
      }
    }
  });
});
