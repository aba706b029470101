/**
 * The `value` payload format: a message holding one plain value (`21.5`, `42`, `on`), as sensors
 * often publish. It becomes one metric named `mqtt_consumer` with one field.
 */
import type { ParseResult, Parser } from '../../../core/format/types.ts';
import { Metric } from '../../../core/model/metric/metric.ts';

const INTEGER = /^[+-]?\d+$/;

/** Parses one plain value of a fixed type per payload. */
export class ValueParser implements Parser {
  private readonly type: 'float' | 'integer' | 'string' | 'boolean';
  private readonly field: string;

  constructor(type: 'float' | 'integer' | 'string' | 'boolean', field: string) {
    this.type = type;
    this.field = field;
  }

  parse(input: Buffer | string): ParseResult {
    const text = (typeof input === 'string' ? input : input.toString('utf8')).trim();
    const m = new Metric('mqtt_consumer', {}, {}, Date.now());
    switch (this.type) {
      case 'float': {
        const v = Number(text);
        if (text === '' || Number.isNaN(v)) return this.fail(text, 'not a number');
        m.setField(this.field, v);
        break;
      }
      case 'integer': {
        if (!INTEGER.test(text)) return this.fail(text, 'not an integer');
        const v = Number(text);
        m.setInt(this.field, Number.isSafeInteger(v) ? v : BigInt(text));
        break;
      }
      case 'boolean': {
        const v = text.toLowerCase();
        if (v !== 'true' && v !== 'false') return this.fail(text, 'not true or false');
        m.setField(this.field, v === 'true');
        break;
      }
      default:
        m.setField(this.field, text);
    }
    return { metrics: [m], errors: [] };
  }

  private fail(text: string, why: string): ParseResult {
    return {
      metrics: [],
      errors: [{ line: 1, message: `${why} (data_type = "${this.type}")`, text: text.slice(0, 200) }],
    };
  }
}
