import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { TestAccumulator, parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { execdInput } from './index.ts';

const stopping: InputInstance[] = [];
afterEach(async () => {
  for (const i of stopping.splice(0)) await i.stop?.();
});

/** Writes a small Node program and returns its argv. */
function program(source: string): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-execd-'));
  const file = path.join(dir, 'child.mjs');
  fs.writeFileSync(file, source);
  return [process.execPath, file];
}

/** A test context whose logger records every entry. */
function recordingContext(): { ctx: PluginContext; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const base = testContext(execdInput);
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { ctx: { ...base, log }, logs };
}

async function started(table: Record<string, unknown>, ctx: PluginContext = testContext(execdInput)) {
  const input = await execdInput.create(parseConfig(execdInput, table), ctx);
  stopping.push(input);
  const acc = new TestAccumulator();
  await input.start?.(acc);
  return { input, acc };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const KEEP_ALIVE = 'setInterval(() => {}, 1000);\n';

describe('execd input', () => {
  it('should push the line protocol the program writes to stdout, with exact types and timestamps', async () => {
    const command = program(
      `process.stdout.write('weather,city=Oslo temp=3.5,count=7i,ok=true,note="fine" 1764140000123456789\\n');\n` +
        KEEP_ALIVE,
    );
    const { acc } = await started({ command });
    const [m] = await acc.waitFor(1);
    expect(m.name).toBe('weather');
    expect(m.tags).toEqual({ city: 'Oslo' });
    expect(m.fields).toEqual({ temp: 3.5, count: 7, ok: true, note: 'fine' });
    expect(m.fieldType('count')).toBe('int');
    expect([m.timeMs, m.timeNs]).toEqual([1764140000123, 456789]);
  });

  it('should reject bad lines with their text and keep the good ones', async () => {
    const command = program(
      `process.stdout.write('good x=1\\nthis is not line protocol\\ngood x=2\\n');\n` + KEEP_ALIVE,
    );
    const { acc } = await started({ command });
    await acc.waitFor(2);
    await until(() => acc.rejects.length > 0, 'the rejection');
    expect(acc.metrics.map((m) => m.fields.x)).toEqual([1, 2]);
    expect(acc.rejects[0].reason).toBe('invalid line protocol');
    expect(acc.rejects[0].detail?.text).toContain('this is not line protocol');
  });

  it('should write a newline to the program at each gather when signal is STDIN', async () => {
    const command = program(
      `let n = 0;\nprocess.stdin.on('data', (d) => { for (const c of d) if (c === 10) process.stdout.write('tick n=' + (++n) + 'i\\n'); });\n`,
    );
    const { input, acc } = await started({ command, signal: 'STDIN' });
    await input.gather?.(acc);
    await input.gather?.(acc);
    await acc.waitFor(2);
    expect(acc.metrics.map((m) => m.fields.n)).toEqual([1, 2]);
  });

  it('should send the configured signal to the program at each gather', async () => {
    const command = program(
      `process.on('SIGUSR1', () => process.stdout.write('signalled x=1\\n'));\nprocess.stdout.write('ready x=0\\n');\n` +
        KEEP_ALIVE,
    );
    const { input, acc } = await started({ command, signal: 'SIGUSR1' });
    await acc.waitFor(1);
    await input.gather?.(acc);
    const got = await acc.waitFor(2);
    expect(got[1].name).toBe('signalled');
  });

  it('should restart the program with backoff when it dies, and go on reading', async () => {
    const command = program(`process.stdout.write('run pid=' + process.pid + 'i\\n');\n` + KEEP_ALIVE);
    const { ctx, logs } = recordingContext();
    const { acc } = await started({ command, restart_delay: '50ms', restart_delay_max: '200ms' }, ctx);
    const [first] = await acc.waitFor(1);
    process.kill(Number(first.fields.pid), 'SIGKILL');
    const got = await acc.waitFor(2);
    expect(got[1].fields.pid).not.toBe(first.fields.pid);
    expect(logs.some((l) => l.msg === 'execd child exited; restarting' && l.signal === 'SIGKILL')).toBe(true);
  });

  it('should keep retrying a program that cannot be started, without throwing', async () => {
    const { ctx, logs } = recordingContext();
    await started(
      { command: ['/nonexistent/viva-execd-program'], restart_delay: '20ms', restart_delay_max: '40ms' },
      ctx,
    );
    await until(
      () => logs.filter((l) => l.msg === 'execd child exited; restarting').length >= 3,
      'three restarts',
    );
    expect(logs.find((l) => l.msg === 'execd child exited; restarting')?.err).toContain('ENOENT');
  });

  it("should log the program's stderr line by line, truncated", async () => {
    const command = program(
      `process.stderr.write('short problem\\n' + 'x'.repeat(2000) + '\\n');\n` + KEEP_ALIVE,
    );
    const { ctx, logs } = recordingContext();
    await started({ command }, ctx);
    await until(() => logs.filter((l) => l.msg === 'execd child stderr').length >= 2, 'two stderr lines');
    const lines = logs.filter((l) => l.msg === 'execd child stderr').map((l) => String(l.stderr));
    expect(lines[0]).toBe('short problem');
    expect(lines[1].length).toBeLessThan(600);
    expect(lines[1]).toContain('1488 more characters');
  });

  it('should reject a line that grows past max_line_size before its end arrives', async () => {
    const command = program(
      `process.stdout.write('big s="' + 'y'.repeat(3000));\n` +
        `setTimeout(() => process.stdout.write('y"\\nsmall x=1\\n'), 100);\n` +
        KEEP_ALIVE,
    );
    const { acc } = await started({ command, max_line_size: '1KiB' });
    await acc.waitFor(1);
    await until(() => acc.rejects.length > 0, 'the rejection');
    expect(acc.metrics[0].name).toBe('small');
    expect(acc.rejects[0].reason).toBe('line too long');
  });

  it('should stop the program when the input stops', async () => {
    const command = program(`process.stdout.write('run pid=' + process.pid + 'i\\n');\n` + KEEP_ALIVE);
    const { input, acc } = await started({ command });
    const [m] = await acc.waitFor(1);
    await input.stop?.();
    expect(() => process.kill(Number(m.fields.pid), 0)).toThrow();
  });
});
