import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { runProcessor } from '../../../core/plugin/testing.ts';
import { enumProcessor } from './index.ts';

const status = (value: string): Metric =>
  new Metric('service', { state: value, host: 'a' }, { status: value }, 0);
const levels = { green: 1, amber: 2, red: 3 };

describe('enum processor', () => {
  it('should map a field value to an integer in a destination field', async () => {
    const out = await runProcessor(
      enumProcessor,
      { mapping: [{ fields: ['status'], dest: 'status_code', value_mappings: levels }] },
      [status('amber')],
    );
    expect(out[0].fields).toEqual({ status: 'amber', status_code: 2 });
    expect(out[0].fieldType('status_code')).toBe('int');
  });

  it('should overwrite the source when no dest is given and map tags to strings', async () => {
    const out = await runProcessor(
      enumProcessor,
      { mapping: [{ tags: ['state'], value_mappings: levels }] },
      [status('red')],
    );
    expect(out[0].tags).toEqual({ state: '3', host: 'a' });
  });

  it('should use the default for unmapped values, or leave them alone without one', async () => {
    const withDefault = await runProcessor(
      enumProcessor,
      { mapping: [{ fields: ['status'], dest: 'code', default: -1, value_mappings: levels }] },
      [status('purple')],
    );
    expect(withDefault[0].fields).toEqual({ status: 'purple', code: -1 });
    const without = await runProcessor(
      enumProcessor,
      { mapping: [{ fields: ['status'], dest: 'code', value_mappings: levels }] },
      [status('purple')],
    );
    expect(without[0].fields).toEqual({ status: 'purple' });
  });

  it('should look up booleans and integers by their string form, on keys matching globs', async () => {
    const m = new Metric('x', {}, { up_a: true, up_b: false }, 0);
    m.setInt('mode', 2);
    const [out] = await runProcessor(
      enumProcessor,
      {
        mapping: [
          { fields: ['up_*'], value_mappings: { true: 'up', false: 'down' } },
          { fields: ['mode'], value_mappings: { '2': 'active' } },
        ],
      },
      [m],
    );
    expect(out.fields).toEqual({ up_a: 'up', up_b: 'down', mode: 'active' });
    expect(out.fieldType('mode')).toBe('string');
  });

  it('should reject a misspelled key and a mapping that applies to nothing', () => {
    expect(enumProcessor.config.safeParse({ mapping: [{ fields: ['a'], value_mapping: {} }] }).success).toBe(
      false,
    );
    const r = enumProcessor.config.safeParse({ mapping: [{ value_mappings: { a: 1 } }] });
    expect(r.error?.issues[0].message).toBe('a mapping needs tags or fields to apply to');
  });
});
