import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { snappyCompress, snappyUncompress, snappyUncompressedLength } from './snappy.ts';

describe('snappy', () => {
  const inputs: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['short', Buffer.from('hello')],
    ['repetitive', Buffer.from('cpu,host=a usage=1.5 1700000000000000000\n'.repeat(5000))],
    ['random', randomBytes(200_000)],
    ['long runs', Buffer.alloc(300_000, 7)],
    [
      'mixed',
      Buffer.concat([
        randomBytes(1000),
        Buffer.alloc(70_000, 1),
        randomBytes(70_000),
        Buffer.from('abcd'.repeat(20_000)),
      ]),
    ],
  ];

  it.each(inputs)('should round-trip %s input', (_name, input) => {
    expect(snappyUncompress(snappyCompress(input)).equals(input)).toBe(true);
  });

  it('should compress repetitive text to a fraction of its size', () => {
    const input = Buffer.from('cpu,host=a usage=1.5 1700000000000000000\n'.repeat(5000));
    expect(snappyCompress(input).length).toBeLessThan(input.length / 10);
  });

  it('should decode the block format as the reference encoder writes it', () => {
    // "Wikipedia" example: length 9, then one literal of 9 bytes.
    expect(snappyUncompress(Buffer.from([9, 8 << 2, ...Buffer.from('Wikipedia')])).toString()).toBe(
      'Wikipedia',
    );
    // A literal "abcd" then a 1-byte-offset copy of 8 bytes from offset 4.
    expect(
      snappyUncompress(Buffer.from([12, 3 << 2, 97, 98, 99, 100, ((8 - 4) << 2) | 1, 4])).toString(),
    ).toBe('abcdabcdabcd');
  });

  it('should read the declared length without decompressing', () => {
    const input = Buffer.alloc(300_000, 7);
    expect(snappyUncompressedLength(snappyCompress(input)).length).toBe(300_000);
  });

  it.each([
    ['an empty input', [], /^snappy: truncated length header at byte 0$/],
    ['a literal past the end', [5, 4 << 2, 97, 98], /^snappy: corrupt input \(expected literal read/],
    ['a literal past the length', [1, 1 << 2, 97, 98], /^snappy: corrupt input \(expected literal read/],
    [
      'a copy before the start',
      [8, 0, 97, (3 << 2) | 1, 2],
      /^snappy: corrupt input \(expected valid offset/,
    ],
    ['a short output', [3, 0, 97], /^snappy: corrupt input \(header mismatch; expected 3 decompressed bytes/],
    ['a cut 2-byte offset', [8, 0, 97, 2 | (3 << 2), 1], /^snappy: corrupt input \(expected copy read/],
  ])('should refuse %s with VIVA_ERR_PARSE saying why', (_name, bytes, message) => {
    expect(() => snappyUncompress(Buffer.from(bytes))).toThrow(
      expect.objectContaining({ code: 'VIVA_ERR_PARSE', message: expect.stringMatching(message) as unknown }),
    );
  });
});
