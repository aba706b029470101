import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { VivaError } from '../model/errors/index.ts';
import { Metric } from '../model/metric/metric.ts';
import {
  DATA_FORMATS,
  createParser,
  createSerializer,
  dataFormatConfigShape,
  dataFormatSchema,
  formatOptions,
  precisionSchema,
} from './registry.ts';
import type { DataFormat } from './registry.ts';

const metric = new Metric('cpu', { host: 'a' }, { usage: 1.5 }, 1699999999123, 456789);

describe('data format registry', () => {
  it('should list influx and json', () => {
    expect(DATA_FORMATS).toEqual(expect.arrayContaining(['influx', 'json']));
  });

  it.each(DATA_FORMATS)('should round-trip a metric through the %s parser and serializer', (format) => {
    const options = { precision: 'ns' as const, jsonTimestampUnits: 'ns' as const };
    const bytes = createSerializer(format, options).serialize([metric]);
    const r = createParser(format, options).parse(bytes);
    expect(r.errors).toEqual([]);
    expect(r.metrics).toEqual([metric]);
  });

  it('should pass the precision to line protocol', () => {
    expect(createSerializer('influx', { precision: 's' }).serialize([metric]).toString()).toBe(
      'cpu,host=a usage=1.5 1699999999\n',
    );
    expect(createParser('influx', { precision: 's' }).parse('m f=1 2').metrics[0].timeMs).toBe(2000);
  });

  it("should write JSON timestamps in seconds by default, as Telegraf's json_timestamp_units", () => {
    expect(createSerializer('json', { precision: 'ns' }).serialize([metric]).toString()).toContain(
      '"timestamp":1699999999}',
    );
  });

  it('should refuse an unknown format with a coded error', () => {
    expect(() => createParser('csv' as DataFormat)).toThrow(VivaError);
    expect(() => createSerializer('nope' as DataFormat)).toThrow(
      /unknown data format "nope" \(known: influx, json/,
    );
    expect(() => createParser('toString' as DataFormat)).toThrow(/unknown data format/);
  });

  it('should validate the data format config keys', () => {
    const schema = z.strictObject(dataFormatConfigShape);
    expect(schema.parse({})).toEqual({ data_format: 'influx', precision: 'ns' });
    expect(formatOptions(schema.parse({ data_format: 'json', json_timestamp_units: 'ms' }))).toEqual({
      precision: 'ns',
      jsonTimestampUnits: 'ms',
    });
    expect(dataFormatSchema.safeParse('xml').success).toBe(false);
    expect(precisionSchema.safeParse('m').success).toBe(false);
  });
});
