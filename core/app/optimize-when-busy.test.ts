import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { OptimizeWhenBusy, optimizersDeferred } from './optimize-when-busy.ts';

const moduleUrl = pathToFileURL(path.join(import.meta.dirname, 'optimize-when-busy.ts')).href;

// Run in a child node started as bin/viva.ts starts it: the flags are process-wide, and V8's own
// report of a function's tier (%GetOptimizationStatus, bit 16: optimized by Maglev or TurboFan)
// is what shows whether the compilers are on.
const child = `
import { OptimizeWhenBusy } from ${JSON.stringify(moduleUrl)};
const status = new Function('f', 'return %GetOptimizationStatus(f)');
const OPTIMIZED = 16;
function hot(a) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * 2 + (a[i] & 3); return s; }
const data = Array.from({ length: 1000 }, (_, i) => i);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function run(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) { for (let k = 0; k < 20; k++) hot(data); await sleep(5); }
}
let enabledAt;
const o = new OptimizeWhenBusy({ windowMs: 100, burst: 0.5, burstWindows: 3, steadyWindows: 10, steady: 0.5,
  onEnable: (u) => { enabledAt = u; } }).start();
const out = { deferred: !o.optimizing };
await run(1500);
out.idle = { optimizing: o.optimizing, optimized: (status(hot) & OPTIMIZED) !== 0 };
// Busy: the loop works 90 % of the time in 45 ms slices.
const until = Date.now() + 10000;
while (!o.optimizing && Date.now() < until) {
  const end = Date.now() + 45;
  while (Date.now() < end) hot(data);
  await sleep(5);
}
out.busy = { optimizing: o.optimizing, utilization: enabledAt };
const deadline = Date.now() + 10000;
while ((status(hot) & OPTIMIZED) === 0 && Date.now() < deadline) await run(50);
out.optimizedAfter = (status(hot) & OPTIMIZED) !== 0;
console.log(JSON.stringify(out));
`;

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function runChild(flags: string[]): Promise<Record<string, unknown>> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-optimize-'));
  const file = path.join(dir, 'child.mjs');
  fs.writeFileSync(file, child);
  const p = spawn(process.execPath, [...flags, '--allow-natives-syntax', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('OptimizeWhenBusy', () => {
  it('should leave hot code unoptimized while idle and turn the compilers on once the loop is busy', async () => {
    const out = await runChild(['--no-maglev', '--no-turbofan']);
    expect(out.deferred).toBe(true);
    expect(out.idle).toEqual({ optimizing: false, optimized: false });
    expect(out.busy).toMatchObject({ optimizing: true });
    expect((out.busy as { utilization: number }).utilization).toBeGreaterThanOrEqual(0.5);
    expect(out.optimizedAfter).toBe(true);
  }, 30_000);

  it('should leave a process started with its compilers on as it is', async () => {
    const out = await runChild([]);
    expect(out.deferred).toBe(false);
    expect(out.idle).toMatchObject({ optimizing: true });
  }, 30_000);

  it('should turn nothing on under --jitless, or where node started with the compilers on', () => {
    expect(optimizersDeferred(['--no-maglev', '--no-turbofan'])).toBe(true);
    expect(optimizersDeferred(['--no_turbofan'])).toBe(true);
    expect(optimizersDeferred(['--no-maglev', '--no-turbofan', '--jitless'])).toBe(false);
    expect(optimizersDeferred(['--max-semi-space-size=32'])).toBe(false);
    expect(new OptimizeWhenBusy({ execArgv: [] }).optimizing).toBe(true);
  });
});
