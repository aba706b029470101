import { readFileSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskBuffer } from './buffer.ts';
import { openDiskBuffer } from './open.ts';
import { listSegments, segmentPath } from './segment.ts';
import { batch, put, tempDir } from './testing.ts';

let dir: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});

afterEach(() => cleanup());

describe('openDiskBuffer', () => {
  it('should open a working buffer and log the corruption recovery found', async () => {
    const first = DiskBuffer.open({ dir, fsync: 'never' });
    for (let i = 0; i < 3; i++) put(first, batch(i, 2));
    await first.close();
    const seg = segmentPath(dir, listSegments(dir)[0]);
    const data = readFileSync(seg);
    data[12] ^= 0xff;
    writeFileSync(seg, data);

    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
    const drops: [number, string][] = [];
    const b = await openDiskBuffer({
      dir,
      maxBytes: 1 << 20,
      whenFull: 'drop_oldest',
      fsync: 'interval',
      onDrop: (n, why) => drops.push([n, why]),
      log,
    });
    try {
      expect(b.length).toBe(4);
      expect(drops).toEqual([[2, 'corrupt']]);
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged).toContainEqual(
        expect.objectContaining({ msg: 'disk buffer skipped corrupt records', records: 1, metrics: 2 }),
      );
    } finally {
      await b.close();
    }
  });
});
