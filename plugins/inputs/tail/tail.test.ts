import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, testContext, TestAccumulator } from '../../../core/plugin/testing.ts';
import type { PluginContext } from '../../../core/plugin/types.ts';
import { tailInput } from './index.ts';
import { TailInput } from './tail.ts';

const running: TailInput[] = [];
afterEach(async () => {
  for (const t of running.splice(0)) await t.stop();
});

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'viva-tail-'));
}

async function tail(
  table: Record<string, unknown>,
  ctx: PluginContext = testContext(tailInput),
): Promise<{ input: TailInput; acc: TestAccumulator }> {
  const input = new TailInput(parseConfig(tailInput, { poll_interval: '20ms', path_tag: '', ...table }), ctx);
  const acc = new TestAccumulator();
  await input.start(acc);
  running.push(input);
  return { input, acc };
}

const seqs = (acc: TestAccumulator): number[] => acc.metrics.map((m) => m.fields.seq as number);
const lines = (from: number, to: number): string =>
  Array.from({ length: to - from }, (_, i) => `log seq=${from + i}i\n`).join('');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('tail input', () => {
  it('should start at the end of existing files unless from_beginning is set', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.lp');
    fs.writeFileSync(file, lines(0, 3));
    const fromEnd = await tail({ files: [file] });
    const fromStart = await tail({ files: [file], from_beginning: true });
    await fromStart.acc.waitFor(3);
    fs.appendFileSync(file, lines(3, 5));
    await fromEnd.acc.waitFor(2);
    await fromStart.acc.waitFor(5);
    expect(seqs(fromEnd.acc)).toEqual([3, 4]);
    expect(seqs(fromStart.acc)).toEqual([0, 1, 2, 3, 4]);
  });

  it('should join a line written in two parts and tag metrics with the path', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.lp');
    fs.writeFileSync(file, '');
    const { acc } = await tail({ files: [file], path_tag: 'path' });
    fs.appendFileSync(file, 'cpu,host=a usa');
    await sleep(60);
    expect(acc.metrics).toHaveLength(0);
    fs.appendFileSync(file, 'ge=0.5 1700000000000000001\n');
    const [m] = await acc.waitFor(1);
    expect([m.name, m.tags, m.fields, m.timeMs, m.timeNs]).toEqual([
      'cpu',
      { host: 'a', path: file },
      { usage: 0.5 },
      1_700_000_000_000,
      1,
    ]);
  });

  it('should keep every line through a rename-and-create rotation', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'app.lp');
    fs.writeFileSync(file, '');
    const { acc } = await tail({ files: [file] });
    fs.appendFileSync(file, lines(0, 100));
    await acc.waitFor(100);
    // The writer keeps its handle open across the rename and writes a last burst into the old file.
    const fd = fs.openSync(file, 'a');
    fs.renameSync(file, file + '.1');
    fs.writeSync(fd, lines(100, 150));
    fs.closeSync(fd);
    fs.writeFileSync(file, lines(150, 200));
    await acc.waitFor(200);
    fs.appendFileSync(file, lines(200, 210));
    await acc.waitFor(210);
    expect(seqs(acc).sort((a, b) => a - b)).toEqual(Array.from({ length: 210 }, (_, i) => i));
  });

  it('should keep every line through copytruncate', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'app.lp');
    fs.writeFileSync(file, '');
    const { acc } = await tail({ files: [file] });
    fs.appendFileSync(file, lines(0, 50));
    await acc.waitFor(50);
    fs.copyFileSync(file, file + '.1');
    fs.truncateSync(file, 0);
    await sleep(60);
    fs.appendFileSync(file, lines(50, 60));
    await acc.waitFor(60);
    expect(seqs(acc)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('should follow files that appear later under a glob, reading them whole', async () => {
    const dir = tempDir();
    const { acc } = await tail({ files: [path.join(dir, '*.lp')] });
    fs.writeFileSync(path.join(dir, 'new.lp'), lines(0, 5));
    fs.writeFileSync(path.join(dir, 'skip.txt'), lines(100, 105));
    await acc.waitFor(5);
    await sleep(60);
    expect(seqs(acc)).toEqual([0, 1, 2, 3, 4]);
  });

  it('should resume after a restart without re-reading acknowledged lines', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'app.lp');
    fs.writeFileSync(file, lines(0, 10));
    const ctx = testContext(tailInput);
    const first = await tail({ files: [file], from_beginning: true }, ctx);
    await first.acc.waitFor(10);
    first.acc.ackAll();
    await first.input.stop();
    fs.appendFileSync(file, lines(10, 15));
    const second = await tail({ files: [file], from_beginning: true }, ctx);
    await second.acc.waitFor(5);
    await sleep(60);
    expect(seqs(second.acc)).toEqual([10, 11, 12, 13, 14]);
  });

  it('should read unacknowledged lines again after a restart', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'app.lp');
    fs.writeFileSync(file, lines(0, 4));
    const ctx = testContext(tailInput);
    const first = await tail({ files: [file], from_beginning: true }, ctx);
    await first.acc.waitFor(4);
    await first.input.stop();
    const second = await tail({ files: [file] }, ctx);
    await second.acc.waitFor(4);
    expect(seqs(second.acc)).toEqual([0, 1, 2, 3]);
  });

  it('should resume a file rotated while the agent was down from its start', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'app.lp');
    fs.writeFileSync(file, lines(0, 3));
    const ctx = testContext(tailInput);
    const first = await tail({ files: [file], from_beginning: true }, ctx);
    await first.acc.waitFor(3);
    first.acc.ackAll();
    await first.input.stop();
    fs.renameSync(file, file + '.1');
    fs.writeFileSync(file, lines(3, 6));
    const second = await tail({ files: [file] }, ctx);
    await second.acc.waitFor(3);
    expect(seqs(second.acc)).toEqual([3, 4, 5]);
  });

  it('should reject bad and over-long lines and read JSON lines', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.json');
    fs.writeFileSync(file, '');
    const { acc } = await tail({
      files: [file],
      data_format: 'json',
      tag_keys: ['level'],
      max_line_length: 100,
    });
    fs.appendFileSync(
      file,
      `{"level":"warn","n":1}\nnot json\n{"pad":"${'x'.repeat(200)}"}\n{"level":"info","n":2}\n`,
    );
    await acc.waitFor(2);
    expect(acc.metrics.map((m) => [m.name, m.tags, m.fields])).toEqual([
      ['tail', { level: 'warn' }, { n: 1 }],
      ['tail', { level: 'info' }, { n: 2 }],
    ]);
    expect(acc.rejects.map((r) => [r.reason, r.count]).sort()).toEqual([
      ['invalid line', 1],
      ['line longer than max_line_length', 1],
    ]);
  });

  it('should work through a backlog in batches of max_batch_bytes without waiting a poll each', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'big.lp');
    fs.writeFileSync(file, lines(0, 20000));
    const { acc } = await tail({
      files: [file],
      from_beginning: true,
      max_batch_bytes: '64KiB',
      poll_interval: '1s',
    });
    await acc.waitFor(20000, 3000);
    expect(acc.batches.length).toBeGreaterThan(3);
    expect(seqs(acc)).toEqual(Array.from({ length: 20000 }, (_, i) => i));
  });

  it('should not read while the pipeline pushes back', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.lp');
    fs.writeFileSync(file, '');
    const { acc } = await tail({ files: [file] });
    acc.saturated = true;
    fs.appendFileSync(file, lines(0, 3));
    await sleep(100);
    expect(acc.metrics).toHaveLength(0);
    acc.release();
    await acc.waitFor(3);
  });
});
