import { describe, expect, it } from 'vitest';
import { JsonParser } from './parser.ts';
import { parseJsonText } from './parse-text.ts';

describe('parseJsonText', () => {
  it('should read keys of one escape sequence right after a one-backslash key was read', () => {
    // Node 24.21's JSON.parse reads these keys as "\" once a "\\" key has been parsed anywhere.
    JSON.parse(String.raw`{"\\": 1}`);
    expect(
      Object.keys(parseJsonText(String.raw`{"\"": 1, "\n": 2, "\u00e9": 3, "\\": 4}`) as object),
    ).toEqual(['"', '\n', 'é', '\\']);
  });

  it('should leave strings that only look like such keys untouched, and keep nesting and order', () => {
    const text = String.raw`{"a": "\":", "\t": {"\"": ["\\", {"\/": null}]}, "z": 1}`;
    expect(parseJsonText(text)).toEqual({ a: '":', '\t': { '"': ['\\', { '/': null }] }, z: 1 });
    expect(Object.keys(parseJsonText(text) as object)).toEqual(['a', '\t', 'z']);
  });

  it('should report invalid JSON where the given text has it', () => {
    expect(() => parseJsonText(String.raw`{"\"": 1,}`)).toThrow(SyntaxError);
  });

  it('should give the JSON input the right field keys', () => {
    JSON.parse(String.raw`{"\\": 1}`);
    const body = String.raw`{"name": "m", "fields": {"\"": 1, "\\": 2}, "timestamp": 1700000000123456789}`;
    const r = new JsonParser({ timestampUnits: 'ns' }).parse(body);
    expect(r.errors).toEqual([]);
    expect(r.metrics[0].fields).toEqual({ '"': 1, '\\': 2 });
    expect([r.metrics[0].timeMs, r.metrics[0].timeNs]).toEqual([1700000000123, 456789]);
  });
});
