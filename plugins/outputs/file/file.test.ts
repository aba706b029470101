import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import { createSerializer } from '../../../core/format/registry.ts';
import { FileOutput } from './file.ts';
import { fileOutput } from './index.ts';

const batch = (n: number, from = 0): Metric[] =>
  Array.from({ length: n }, (_, i) => new Metric('m', { k: 'v' }, { i: from + i }, 1000));

describe('file output', () => {
  it('should append line protocol to every configured file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-file-'));
    const files = [path.join(dir, 'a.lp'), path.join(dir, 'sub', 'b.lp')];
    const out = await fileOutput.create(parseConfig(fileOutput, { files }), testContext(fileOutput));
    await out.write(batch(2));
    await out.write(batch(1, 2));
    await out.close?.();
    for (const f of files)
      expect(fs.readFileSync(f, 'utf8')).toBe(
        'm,k=v i=0 1000000000\nm,k=v i=1 1000000000\nm,k=v i=2 1000000000\n',
      );
  });

  it('should write JSON when data_format is json', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-file-'));
    const file = path.join(dir, 'a.json');
    const out = await fileOutput.create(
      parseConfig(fileOutput, { files: [file], data_format: 'json' }),
      testContext(fileOutput),
    );
    await out.write(batch(1));
    await out.close?.();
    const doc = JSON.parse(fs.readFileSync(file, 'utf8').trim()) as {
      metrics: { name: string; fields: object }[];
    };
    expect(doc.metrics[0].name).toBe('m');
    expect(doc.metrics[0].fields).toEqual({ i: 0 });
  });

  it('should rotate by size and keep only rotation_max_archives files, losing no line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-file-'));
    const file = path.join(dir, 'out.lp');
    const out = await fileOutput.create(
      parseConfig(fileOutput, { files: [file], rotation_max_size: '100B', rotation_max_archives: 2 }),
      testContext(fileOutput),
    );
    for (let i = 0; i < 10; i++) await out.write(batch(2, i * 2));
    await out.close?.();
    const names = fs.readdirSync(dir).sort();
    expect(names.filter((n) => n.startsWith('out.lp.'))).toHaveLength(2);
    const all = names.map((n) => fs.readFileSync(path.join(dir, n), 'utf8')).join('');
    const kept = all.split('\n').filter((l) => l !== '');
    for (const n of names) expect(fs.statSync(path.join(dir, n)).size).toBeLessThanOrEqual(100);
    // The newest lines survive in the live file and the two newest archives.
    expect(kept).toContain('m,k=v i=19 1000000000');
  });
});

describe('file output on a full disk', () => {
  /** An fs whose writes to `victim` stop with ENOSPC once `room` bytes are used, after a partial write. */
  const fullDisk = (victim: string) => {
    const state = { room: Infinity };
    const fdPaths = new Map<number, string>();
    const io = {
      ...fs,
      openSync: (p: fs.PathLike, flags: fs.OpenMode = 'r') => {
        const fd = fs.openSync(p, flags);
        fdPaths.set(fd, String(p));
        return fd;
      },
      writeSync: (fd: number, data: Buffer, offset: number) => {
        if (fdPaths.get(fd) !== victim) return fs.writeSync(fd, data, offset);
        const n = Math.min(data.length - offset, state.room);
        if (n <= 0)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        state.room -= n;
        return fs.writeSync(fd, data, offset, n);
      },
    } as typeof fs;
    return { io, state };
  };

  const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n');

  it('should hold every line exactly once and no torn line after a partial write and a retry', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-file-'));
    const ok = path.join(dir, 'ok.lp');
    const full = path.join(dir, 'full.lp');
    const { io, state } = fullDisk(full);
    const out = new FileOutput(
      parseConfig(fileOutput, { files: [ok, full] }),
      createSerializer('influx', { precision: 'ns' }),
      io,
    );
    await out.write(batch(3));
    // The disk fills in the middle of a line of the next batch.
    state.room = 50;
    await expect(out.write(batch(4, 3))).rejects.toThrow(/ENOSPC/);
    await expect(out.write(batch(4, 3))).rejects.toThrow(/ENOSPC/);
    // Space is freed; the pipeline retries the same batch, which now lands.
    state.room = Infinity;
    await out.write(batch(4, 3));
    await out.write(batch(1, 7));
    await out.close();
    const want = [...Array.from({ length: 8 }, (_, i) => `m,k=v i=${i} 1000000000`), ''];
    expect(lines(full)).toEqual(want);
    expect(lines(ok)).toEqual(want);
  });

  it('should report ENOSPC from a device that is always full, leaving other files untouched', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-file-'));
    const ok = path.join(dir, 'ok.lp');
    const out = await fileOutput.create(
      parseConfig(fileOutput, { files: [ok, '/dev/full'] }),
      testContext(fileOutput),
    );
    await expect(out.write(batch(2))).rejects.toThrow(/ENOSPC/);
    await expect(out.write(batch(2))).rejects.toThrow(/ENOSPC/);
    await out.close?.();
    expect(fs.readFileSync(ok, 'utf8')).toBe('');
  });
});
