import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { runProcessor, testContext } from '../../../core/plugin/testing.ts';
import { expressionProcessor } from './index.ts';

function mem(): Metric {
  const m = new Metric('mem', { host: 'web1' }, { free: 25.5 }, 0);
  m.setInt('used', 750);
  m.setInt('total', 1000);
  return m;
}

describe('expression processor', () => {
  it('should set a float field computed from other fields', async () => {
    const [m] = await runProcessor(
      expressionProcessor,
      { field: [{ name: 'used_percent', expression: 'fields.used / fields.total * 100' }] },
      [mem()],
    );
    expect(m.fields.used_percent).toBe(75);
    expect(m.fieldType('used_percent')).toBe('float');
  });

  it('should make an integer field by truncating when the type is integer', async () => {
    const [m] = await runProcessor(
      expressionProcessor,
      {
        field: [
          { name: 'free_kb', expression: 'fields.free * 2 + 1', type: 'integer' },
          { name: 'x', expression: '-1', type: 'unsigned' },
        ],
      },
      [mem()],
    );
    expect(m.fields.free_kb).toBe(52);
    expect(m.fieldType('free_kb')).toBe('int');
    expect(m.fields.x).toBeUndefined();
  });

  it('should evaluate fields in order so a later one can use an earlier one', async () => {
    const [m] = await runProcessor(
      expressionProcessor,
      {
        field: [
          { name: 'ratio', expression: 'fields.used / fields.total' },
          { name: 'level', expression: 'if(fields.ratio > 0.7, "high", "ok")' },
          { name: 'alert', expression: 'fields.level == "high" && tags.host =~ "^web"', type: 'boolean' },
        ],
      },
      [mem()],
    );
    expect(m.fields).toMatchObject({ ratio: 0.75, level: 'high', alert: true });
  });

  it('should leave the field unset and count it when the result is null', async () => {
    const ctx = testContext(expressionProcessor);
    const [m] = await runProcessor(
      expressionProcessor,
      {
        field: [
          { name: 'a', expression: 'fields.missing * 2' },
          { name: 'b', expression: 'fields.used / 0' },
        ],
      },
      [mem()],
      ctx,
    );
    expect(Object.keys(m.fields).sort()).toEqual(['free', 'total', 'used']);
    const skipped = (await ctx.selfMetrics()).find(
      (s) => s.name === 'viva_processor_expression_fields_skipped',
    );
    expect(skipped?.fields.value).toBe(2);
  });

  it('should reject an invalid expression with its column, and a misspelled key', () => {
    const r = expressionProcessor.config.safeParse({ field: [{ name: 'x', expression: 'fields.a ** 2' }] });
    expect(r.error?.issues[0].message).toBe('invalid expression "fields.a ** 2": column 11: unexpected "*"');
    expect(expressionProcessor.config.safeParse({ field: [{ name: 'x', expr: '1' }] }).success).toBe(false);
    expect(expressionProcessor.config.safeParse({ fields: [] }).success).toBe(false);
  });
});
