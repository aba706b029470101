import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteError } from '../../../core/model/errors/errors.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { OutputInstance, PluginContext } from '../../../core/plugin/types.ts';
import { execdOutput } from './index.ts';

const closing: OutputInstance[] = [];
afterEach(async () => {
  for (const o of closing.splice(0)) await o.close?.();
});

/**
 * A program that appends what it reads on stdin to `out` and records its pid in `out.pid`; it
 * exits once stdin ends.
 */
function appender(): { command: string[]; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-execd-'));
  const file = path.join(dir, 'child.mjs');
  const out = path.join(dir, 'out.lp');
  fs.writeFileSync(
    file,
    `import fs from 'node:fs';\n` +
      `fs.writeFileSync(${JSON.stringify(out + '.pid')}, String(process.pid));\n` +
      `process.stdin.on('data', (d) => fs.appendFileSync(${JSON.stringify(out)}, d));\n`,
  );
  return { command: [process.execPath, file], out };
}

function recordingContext(): { ctx: PluginContext; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { ctx: { ...testContext(execdOutput), log }, logs };
}

async function connected(table: Record<string, unknown>, ctx: PluginContext = testContext(execdOutput)) {
  const o = await execdOutput.create(parseConfig(execdOutput, table), ctx);
  closing.push(o);
  await o.connect?.();
  return o;
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const read = (f: string): string => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');

function batch(n: number): Metric[] {
  return Array.from({ length: n }, (_, i) => {
    const m = new Metric('load', { host: 'a' }, {}, 1764140000000, i);
    m.setInt('seq', i);
    return m;
  });
}

describe('execd output', () => {
  it("should write each batch as line protocol to the program's stdin", async () => {
    const { command, out } = appender();
    const o = await connected({ command });
    await o.write(batch(2));
    await until(() => read(out).split('\n').length > 2, 'two lines');
    expect(read(out)).toBe(
      'load,host=a seq=0i 1764140000000000000\nload,host=a seq=1i 1764140000000000001\n',
    );
  });

  it('should write timestamps in the configured precision', async () => {
    const { command, out } = appender();
    const o = await connected({ command, precision: 's' });
    await o.write(batch(1));
    await until(() => read(out) !== '', 'a line');
    expect(read(out)).toBe('load,host=a seq=0i 1764140000\n');
  });

  it('should fail writes as retryable while the program is down, and deliver after its restart', async () => {
    const { command, out } = appender();
    const { ctx, logs } = recordingContext();
    const o = await connected({ command, restart_delay: '300ms', restart_delay_max: '300ms' }, ctx);
    await until(() => read(`${out}.pid`) !== '', 'the program to start');
    const firstPid = read(`${out}.pid`);
    process.kill(Number(firstPid), 'SIGKILL');
    await until(() => logs.some((l) => l.msg === 'execd child exited; restarting'), 'the exit');
    const err = await o.write(batch(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteError);
    expect((err as WriteError).kind).toBe('retryable');
    await until(() => read(`${out}.pid`) !== firstPid, 'the restart');
    await o.write(batch(1));
    await until(() => read(out) !== '', 'the line');
    expect(read(out)).toBe('load,host=a seq=0i 1764140000000000000\n');
  });

  it('should let the program finish what it read when the output closes', async () => {
    const { command, out } = appender();
    const o = await connected({ command });
    await o.write(batch(500));
    await o.close?.();
    closing.pop();
    expect(
      read(out)
        .split('\n')
        .filter((l) => l !== ''),
    ).toHaveLength(500);
  });
});
