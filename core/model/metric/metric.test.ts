import { describe, expect, it } from 'vitest';
import { Metric } from './metric.ts';

describe('Metric.removeField', () => {
  it('should remove the field and its integer marker, keeping the others in order', () => {
    const m = new Metric('m', {}, { a: 1, b: 2, c: 'x' }, 0);
    m.setInt('n', 5);
    m.removeField('b');
    m.removeField('n');
    expect(Object.keys(m.fields)).toEqual(['a', 'c']);
    expect(m.fieldType('a')).toBe('float');
    expect(m.fieldTypes).toEqual({});
  });

  it('should leave a metric without the key unchanged', () => {
    const fields = { a: 1 };
    const m = new Metric('m', {}, fields, 0);
    m.removeField('zz');
    expect(m.fields).toBe(fields);
  });

  it('should keep a field named __proto__ as an own field', () => {
    const m = new Metric('m', {}, JSON.parse('{"__proto__": 1, "b": 2}') as Record<string, number>, 0);
    m.removeField('b');
    expect(Object.hasOwn(m.fields, '__proto__')).toBe(true);
    expect(Object.keys(m.fields)).toEqual(['__proto__']);
  });

  it('should let a renamed field keep its integer type', () => {
    const m = new Metric('m', {}, {}, 0);
    m.setInt('used', 7);
    const v = m.fields.used as number;
    m.removeField('used');
    m.setInt('used2', v);
    expect(m.fields).toEqual({ used2: 7 });
    expect(m.fieldType('used2')).toBe('int');
  });
});
