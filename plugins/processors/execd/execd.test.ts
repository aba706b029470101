import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, runProcessor, testContext } from '../../../core/plugin/testing.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import { execdProcessor } from './index.ts';

const stopping: ProcessorInstance[] = [];
afterEach(async () => {
  for (const p of stopping.splice(0)) await p.stop?.();
});

/** Writes a small Node program and returns its argv. */
function program(source: string): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-execd-'));
  const file = path.join(dir, 'child.mjs');
  fs.writeFileSync(file, source);
  return [process.execPath, file];
}

/**
 * A line filter in the documented protocol: each line gets a `pid` tag, lines of `drop` are
 * dropped, lines of `twice` are answered twice; the empty line ending a batch is copied through.
 */
const TAGGER = program(`
import readline from 'node:readline';
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line === '') { process.stdout.write('\\n'); continue; }
  if (line.startsWith('drop')) continue;
  const tagged = line.replace(/^(\\S+?) /, '$1,pid=' + process.pid + ' ');
  process.stdout.write(tagged + '\\n' + (line.startsWith('twice') ? tagged + '\\n' : ''));
}
`);

function recordingContext(): { ctx: PluginContext; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { ctx: { ...testContext(execdProcessor), log }, logs };
}

async function started(table: Record<string, unknown>, ctx: PluginContext = testContext(execdProcessor)) {
  const p = await execdProcessor.create(parseConfig(execdProcessor, table), ctx);
  stopping.push(p);
  await p.start?.(() => undefined);
  return p;
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function metric(name: string, n: number): Metric {
  const m = new Metric(name, { host: 'a' }, { value: n / 2 }, 1764140000123, 456789);
  m.setInt('n', n);
  return m;
}

describe('execd processor', () => {
  it("should pass a batch through the program and return the program's answer", async () => {
    const [m] = await runProcessor(execdProcessor, { command: TAGGER }, [metric('cpu', 1)]);
    expect(m.name).toBe('cpu');
    expect(Object.keys(m.tags).sort()).toEqual(['host', 'pid']);
    expect(m.fields).toEqual({ value: 0.5, n: 1 });
    expect(m.fieldType('n')).toBe('int');
    expect([m.timeMs, m.timeNs]).toEqual([1764140000123, 456789]);
  });

  it('should return what the program answers, whether fewer or more metrics', async () => {
    const p = await started({ command: TAGGER });
    const out = await p.process([metric('keep', 1), metric('drop', 2), metric('twice', 3)]);
    expect(out.map((m) => m.name)).toEqual(['keep', 'twice', 'twice']);
  });

  it('should answer batches in flight in the order they were sent', async () => {
    const p = await started({ command: TAGGER });
    const answers = await Promise.all(
      [1, 2, 3].map((n) => p.process([metric(`b${n}`, n), metric(`b${n}`, n)])),
    );
    expect(answers.map((a) => a.map((m) => m.name))).toEqual([
      ['b1', 'b1'],
      ['b2', 'b2'],
      ['b3', 'b3'],
    ]);
  });

  it('should pass a batch on unchanged when the program does not answer in time, and restart the program', async () => {
    const silent = program(`process.stdin.on('end', () => process.exit(0));\nprocess.stdin.resume();\n`);
    const { ctx, logs } = recordingContext();
    const p = await started({ command: silent, timeout: '100ms', restart_delay: '20ms' }, ctx);
    const batch = [metric('cpu', 1)];
    expect(await p.process(batch)).toBe(batch);
    expect(logs.some((l) => l.msg === 'execd child did not answer in time; restarting it')).toBe(true);
    await until(() => logs.filter((l) => l.msg === 'execd child started').length >= 2, 'the restart');
  });

  it('should pass batches on unchanged while the program is down', async () => {
    const dying = program(`process.exit(1);\n`);
    const { ctx, logs } = recordingContext();
    const p = await started({ command: dying, restart_delay: '10s' }, ctx);
    await until(() => logs.some((l) => l.msg === 'execd child exited; restarting'), 'the exit');
    const batch = [metric('cpu', 1)];
    expect(await p.process(batch)).toBe(batch);
  });

  it('should restart a killed program and go on processing with the new one', async () => {
    const p = await started({ command: TAGGER, restart_delay: '20ms', restart_delay_max: '100ms' });
    const [first] = await p.process([metric('cpu', 1)]);
    process.kill(Number(first.tags.pid), 'SIGKILL');
    // Batches pass on unchanged (no pid tag) until the new program answers.
    let pid: string | undefined;
    for (let i = 0; i < 100 && (pid === undefined || pid === first.tags.pid); i++) {
      await new Promise((r) => setTimeout(r, 20));
      [
        {
          tags: { pid },
        },
      ] = await p.process([metric('cpu', 2)]);
    }
    expect(pid).toMatch(/^\d+$/);
    expect(pid).not.toBe(first.tags.pid);
  });
});
