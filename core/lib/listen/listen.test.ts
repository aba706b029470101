import { describe, expect, it } from 'vitest';
import { parseSocketAddress } from './address.ts';
import { authorized } from './auth.ts';
import { JsonObjectParser, queryPath } from './json-objects.ts';

describe('parseSocketAddress', () => {
  it('should read the protocol, host and port', () => {
    expect(parseSocketAddress('udp://127.0.0.1:8125')).toEqual({
      protocol: 'udp',
      host: '127.0.0.1',
      port: 8125,
    });
    expect(parseSocketAddress('tcp://[::1]:9')).toEqual({ protocol: 'tcp', host: '::1', port: 9 });
    expect(parseSocketAddress(':8094', 'udp')).toEqual({ protocol: 'udp', host: '0.0.0.0', port: 8094 });
  });

  it('should refuse an unknown protocol or a missing port', () => {
    expect(() => parseSocketAddress('unix:///tmp/x')).toThrow(/unsupported protocol/);
    expect(() => parseSocketAddress('tcp://localhost')).toThrow(/invalid listen address/);
  });
});

describe('authorized', () => {
  const basic = (u: string, p: string): string => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');

  it('should let everything through when no credentials are configured', () => {
    expect(authorized({}, {}, null)).toBe(true);
  });

  it('should accept Bearer and Token schemes and the v1 p param for a token', () => {
    const c = { token: 't0k' };
    expect(authorized(c, { authorization: 'Bearer t0k' }, null)).toBe(true);
    expect(authorized(c, { authorization: 'Token t0k' }, null)).toBe(true);
    expect(authorized(c, {}, new URLSearchParams('p=t0k'))).toBe(true);
    expect(authorized(c, { authorization: 'Bearer t0' }, null)).toBe(false);
    expect(authorized(c, {}, null)).toBe(false);
  });

  it('should check basic credentials and v1 u/p params', () => {
    const c = { username: 'u', password: 'p' };
    expect(authorized(c, { authorization: basic('u', 'p') }, null)).toBe(true);
    expect(authorized(c, { authorization: basic('u', 'x') }, null)).toBe(false);
    expect(authorized(c, {}, new URLSearchParams('u=u&p=p'))).toBe(true);
    expect(authorized(c, {}, new URLSearchParams('u=x&p=p'))).toBe(false);
  });
});

describe('JsonObjectParser', () => {
  const base = {
    measurement: 'm',
    json_query: '',
    tag_keys: [],
    json_string_fields: [],
    json_name_key: '',
    json_time_key: '',
    json_time_format: 'unix',
  };

  it('should follow a dotted path with array indexes', () => {
    expect(queryPath({ a: { b: [{ c: 1 }, { c: 2 }] } }, 'a.b.1.c')).toBe(2);
    expect(queryPath({ a: 1 }, 'a.b')).toBeUndefined();
  });

  it('should read epoch times in the configured unit', () => {
    const p = new JsonObjectParser({ ...base, json_time_key: 't', json_time_format: 'unix_ms' });
    const r = p.parse('{"t":1700000000123,"v":1}', { defaultTime: [0, 0] });
    expect([r.metrics[0].timeMs, r.metrics[0].fields]).toEqual([1_700_000_000_123, { v: 1 }]);
  });

  it('should read NDJSON and report a bad line by its number', () => {
    const p = new JsonObjectParser(base);
    const r = p.parse('{"v":1}\n{bad\n{"v":2}\n', { defaultTime: [0, 0] });
    expect(r.metrics.map((m) => m.fields.v)).toEqual([1, 2]);
    expect(r.errors.map((e) => e.line)).toEqual([2]);
  });

  it('should report a json_query that matches nothing', () => {
    const r = new JsonObjectParser({ ...base, json_query: 'nope' }).parse('{"v":1}', { defaultTime: [0, 0] });
    expect(r.errors[0].message).toBe('json_query "nope" matches nothing');
  });
});
