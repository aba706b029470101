import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipBody, gunzipChunkSize } from './gunzip.ts';

describe('gunzipBody', () => {
  it('should give back the body, whatever its size or compressibility', async () => {
    for (const data of [
      Buffer.alloc(0),
      Buffer.from('x'),
      randomBytes(100_000),
      Buffer.alloc(3 << 20, 'abc'),
      Buffer.concat([randomBytes(50_000), Buffer.alloc(200_000, 7)]),
    ]) {
      expect((await gunzipBody(gzipSync(data, { level: 1 }), 8 << 20)).equals(data)).toBe(true);
    }
  });

  it('should give back the whole body when its trailer lies about the size', async () => {
    const data = randomBytes(300_000);
    for (const isize of [0, 1, 1000, 0xffffffff]) {
      const gz = gzipSync(data);
      gz.writeUInt32LE(isize, gz.length - 4);
      // zlib checks ISIZE at the end: a wrong one is refused, never a wrong body accepted.
      await expect(gunzipBody(gz, 8 << 20)).rejects.toThrow();
    }
  });

  it('should give back both members of a multi-member body', async () => {
    const a = randomBytes(100_000);
    const b = Buffer.alloc(500_000, 'b');
    const out = await gunzipBody(Buffer.concat([gzipSync(a), gzipSync(b)]), 8 << 20);
    expect(out.equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('should refuse an output past maxOutputLength, as zlib does', async () => {
    await expect(gunzipBody(gzipSync(Buffer.alloc(1 << 20)), 1000)).rejects.toMatchObject({
      code: 'ERR_BUFFER_TOO_LARGE',
    });
    await expect(gunzipBody(Buffer.from('not gzip at all, not at all'), 1000)).rejects.toThrow();
  });

  it('should size the chunk from the trailer within what the body can expand to', () => {
    const gz = gzipSync(Buffer.alloc(300_000, 1));
    expect(gunzipChunkSize(gz, 64 << 20)).toBe(300_064);
    expect(gunzipChunkSize(gz, 100_000)).toBe(100_064);
    const liar = Buffer.from(gz);
    liar.writeUInt32LE(0xffffffff, liar.length - 4);
    expect(gunzipChunkSize(liar, 1 << 30)).toBe(Math.min(16 << 20, liar.length * 1032));
    expect(gunzipChunkSize(Buffer.from('short'), 1 << 20)).toBe(16 * 1024);
  });
});
