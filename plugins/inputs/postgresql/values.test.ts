import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { md5Password } from './auth.ts';
import { columnTime, setColumnField } from './values.ts';

const metric = (): Metric => new Metric('pg', {}, {}, 0);

describe('postgresql column values', () => {
  it('should keep integer columns integers, and int8 beyond 2^53 exact', () => {
    const m = metric();
    expect(setColumnField(m, 'small', '42', 23)).toBe(true);
    expect(setColumnField(m, 'big', '9223372036854775807', 20)).toBe(true);
    expect(m.fields.small).toBe(42);
    expect(m.fieldType('small')).toBe('int');
    expect(m.fields.big).toBe(9223372036854775807n);
    expect(m.fieldType('big')).toBe('int');
  });

  it('should read oid columns as unsigned, numerics as floats, booleans and text as such', () => {
    const m = metric();
    setColumnField(m, 'oid', '16384', 26);
    setColumnField(m, 'ratio', '0.25', 1700);
    setColumnField(m, 'up', 't', 16);
    setColumnField(m, 'name', 'viva', 25);
    expect(m.fieldType('oid')).toBe('uint');
    expect(m.fields).toMatchObject({ oid: 16384, ratio: 0.25, up: true, name: 'viva' });
    expect(m.fieldType('ratio')).toBe('float');
  });

  it('should refuse an integer column whose text is not an integer', () => {
    expect(setColumnField(metric(), 'x', '1.5', 23)).toBe(false);
  });

  it('should read timestamps exactly to the nanosecond, honouring the offset', () => {
    expect(columnTime('2026-12-03 10:00:00.123456789+01', 1184)).toEqual([
      Date.UTC(2026, 11, 3, 9, 0, 0, 123),
      456789,
    ]);
    expect(columnTime('2026-12-03', 1082)).toEqual([Date.UTC(2026, 11, 3), 0]);
    expect(columnTime('not a time', 1114)).toBeUndefined();
    expect(columnTime('1700000000.5', 701)).toEqual([1_700_000_000_500, 0]);
  });

  it('should answer MD5 authentication as md5(md5(password + user) + salt)', () => {
    // Reference value computed outside VIVA (Python's hashlib) for user viva, password secret.
    expect(md5Password('viva', 'secret', Buffer.from([1, 2, 3, 4]))).toBe(
      'md5cf10e8f78dd6bedab03b97c887681499',
    );
  });
});
