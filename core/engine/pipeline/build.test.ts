import { readFileSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentSchema, outputCommonSchema } from '../../config/schema.ts';
import type { OutputSpec } from '../../config/validate.ts';
import { createContainer } from '../../plugin/context.ts';
import { defineOutput } from '../../plugin/define.ts';
import { DiskBuffer } from '../buffer/disk/buffer.ts';
import { openDiskBuffer } from '../buffer/disk/open.ts';
import { listSegments, segmentPath } from '../buffer/disk/segment.ts';
import { batch, put, tempDir } from '../buffer/disk/testing.ts';
import { Telemetry } from '../telemetry/telemetry.ts';
import { buildOutput } from './build.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const sink = defineOutput({
  name: 'sink',
  description: 'test output',
  config: z.strictObject({}),
  create: () => ({ write: async () => undefined }),
});

describe('buildOutput with a disk buffer', () => {
  it('should log VIVA_ERR_BUFFER_CORRUPT when replay finds a corrupt record', async () => {
    const bufferDir = `${dir}/buffer`;
    const first = DiskBuffer.open({ dir: bufferDir, fsync: 'never' });
    for (let i = 0; i < 3; i++) put(first, batch(i, 2));
    await first.close();
    const seg = segmentPath(bufferDir, listSegments(bufferDir)[0]);
    const data = readFileSync(seg);
    data[12] ^= 0xff;
    writeFileSync(seg, data);

    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const container = createContainer({ logger, telemetry: new Telemetry('test'), dataDir: dir });
    const spec: OutputSpec = {
      id: { kind: 'output', name: 'sink', alias: undefined, label: 'outputs.sink' },
      def: sink,
      common: outputCommonSchema.parse({ buffer_strategy: 'disk', buffer_directory: bufferDir }),
      config: {},
      file: 'test.toml',
      hash: 'h',
    };
    const built = await buildOutput(
      container,
      spec,
      agentSchema.parse({ data_dir: dir }),
      openDiskBuffer,
      () => {},
    );
    try {
      expect(built.node.buffer.length).toBe(4);
      expect(lines).toContainEqual(
        expect.objectContaining({ code: 'VIVA_ERR_BUFFER_CORRUPT', reason: 'corrupt', count: 2 }),
      );
    } finally {
      await built.node.stop(100);
    }
  });
});
