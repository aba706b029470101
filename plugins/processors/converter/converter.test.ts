import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { runProcessor, testContext } from '../../../core/plugin/testing.ts';
import { converterProcessor } from './index.ts';

describe('converter processor', () => {
  it('should turn tags into typed fields and remove the tags', async () => {
    const m = new Metric(
      'http',
      { code: '200', ratio: '0.25', ok: 'true', big: '18446744073709551615', host: 'a' },
      { v: 1 },
      0,
    );
    const [out] = await runProcessor(
      converterProcessor,
      { tags: { integer: ['code'], float: ['ratio'], boolean: ['ok'], unsigned: ['big'] } },
      [m],
    );
    expect(out.tags).toEqual({ host: 'a' });
    expect(out.fields).toEqual({ v: 1, code: 200, ratio: 0.25, ok: true, big: 18446744073709551615n });
    expect(out.fieldType('code')).toBe('int');
    expect(out.fieldType('big')).toBe('uint');
  });

  it('should keep a tag that does not convert and count the failure', async () => {
    const def = converterProcessor;
    const ctx = testContext(def);
    const [out] = await runProcessor(
      def,
      { tags: { integer: ['code'] } },
      [new Metric('x', { code: 'n/a' }, { v: 1 }, 0)],
      ctx,
    );
    expect(out.tags).toEqual({ code: 'n/a' });
    expect(out.fields).toEqual({ v: 1 });
    const errors = (await ctx.selfMetrics()).find(
      (s) => s.name === 'viva_processor_converter_conversion_errors',
    );
    expect(errors?.fields.value).toBe(1);
  });

  it('should set the measurement name from a tag or a field', async () => {
    const out = await runProcessor(
      converterProcessor,
      { tags: { measurement: ['metric'] }, fields: { measurement: ['kind'] } },
      [
        new Metric('generic', { metric: 'cpu' }, { v: 1 }, 0),
        new Metric('generic', {}, { v: 1, kind: 'mem' }, 0),
      ],
    );
    expect(out.map((m) => [m.name, m.tags, m.fields])).toEqual([
      ['cpu', {}, { v: 1 }],
      ['mem', {}, { v: 1 }],
    ]);
  });

  it('should change field types, truncating floats to integers and keeping integers exact', async () => {
    const m = new Metric('x', {}, { a: 3.9, b: '-42', c: '0x1F', d: 1, e: 'yes', f: 0, g: '1.5e3' }, 0);
    m.setInt('n', 12);
    const [out] = await runProcessor(
      converterProcessor,
      { fields: { integer: ['a', 'b', 'c', 'g'], float: ['n'], string: ['d'], boolean: ['e', 'f'] } },
      [m],
    );
    expect(out.fields).toEqual({ a: 3, b: -42, c: 31, d: '1', e: 'yes', f: false, g: 1500, n: 12 });
    expect(['a', 'b', 'c', 'g'].map((k) => out.fieldType(k))).toEqual(['int', 'int', 'int', 'int']);
    expect(out.fieldType('n')).toBe('float');
    expect(out.fieldType('e')).toBe('string');
  });

  it('should refuse a negative unsigned and keep the field as it was', async () => {
    const [out] = await runProcessor(converterProcessor, { fields: { unsigned: ['*'] } }, [
      new Metric('x', {}, { a: -1, b: 2.7 }, 0),
    ]);
    expect(out.fields).toEqual({ a: -1, b: 2 });
    expect(out.fieldType('a')).toBe('float');
    expect(out.fieldType('b')).toBe('uint');
  });

  it('should move fields matching globs to tags as strings', async () => {
    const m = new Metric('x', {}, { region_id: 7, region_name: 'eu', v: 1.5 }, 0);
    m.setInt('region_id', 7);
    const [out] = await runProcessor(converterProcessor, { fields: { tag: ['region_*'] } }, [m]);
    expect(out.tags).toEqual({ region_id: '7', region_name: 'eu' });
    expect(out.fields).toEqual({ v: 1.5 });
    expect(out.fieldTypes).toEqual({});
  });

  it('should apply the first matching target when globs overlap', async () => {
    const [out] = await runProcessor(converterProcessor, { fields: { tag: ['id'], string: ['*'] } }, [
      new Metric('x', {}, { id: 1, v: 2 }, 0),
    ]);
    expect(out.tags).toEqual({ id: '1' });
    expect(out.fields).toEqual({ v: '2' });
  });

  it('should reject a misspelled key at either level', () => {
    expect(converterProcessor.config.safeParse({ field: { tag: ['a'] } }).success).toBe(false);
    expect(converterProcessor.config.safeParse({ fields: { int: ['a'] } }).success).toBe(false);
  });
});
