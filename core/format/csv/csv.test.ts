import { describe, expect, it } from 'vitest';
import { formatTimeNs } from '../../model/metric/time.ts';
import { malformations } from '../testing.ts';
import { CsvParser, createCsvParser, timeParser } from './index.ts';

const T = Date.UTC(2014, 6, 1);
const DEFAULT: [number, number] = [42, 7];

/** The parsed rows as [name, tags, fields, time in ms] and the errors as [line, message]. */
function parse(text: string, opts = {}, parser = new CsvParser(opts)) {
  const r = parser.parse(text, { defaultTime: DEFAULT });
  for (const m of r.metrics) expect(malformations(m)).toEqual([]);
  return {
    rows: r.metrics.map((m) => [m.name, m.tags, m.fields, m.timeMs]),
    errors: r.errors.map((e) => [e.line, e.message]),
  };
}

describe('CsvParser', () => {
  it('should read a NAB file: header, timestamp column in "2006-01-02 15:04:05", values as floats', () => {
    const r = parse('timestamp,value\n2014-07-01 00:00:00,10844\n2014-07-01 00:30:00,8127.5\n', {
      measurement: 'nyc_taxi',
    });
    expect(r.errors).toEqual([]);
    expect(r.rows).toEqual([
      ['nyc_taxi', {}, { value: 10844 }, T],
      ['nyc_taxi', {}, { value: 8127.5 }, T + 1_800_000],
    ]);
  });

  it('should take tag columns, value columns and a measurement column, leaving other columns out', () => {
    const text =
      'time,host,region,name,usage,note,unused\n1404172800,web1,eu,cpu,12.5,ok,x\n1404172860,web2,,mem,,true,y\n';
    const r = parse(text, {
      tagColumns: ['host', 'region'],
      valueColumns: ['usage', 'note'],
      measurementColumn: 'name',
    });
    expect(r.rows).toEqual([
      ['cpu', { host: 'web1', region: 'eu' }, { usage: 12.5, note: 'ok' }, T],
      ['mem', { host: 'web2' }, { note: true }, T + 60_000],
    ]);
  });

  it('should make every other column a field by default and give rows without a timestamp column the default time', () => {
    const r = parse('a,b,c\n1,x,\n');
    expect(r.rows).toEqual([['csv', {}, { a: 1, b: 'x' }, DEFAULT[0]]]);
  });

  it('should keep a column named "__proto__" as a field or tag, not as the prototype', () => {
    // Found by the fuzz test (VIVA_FUZZ_RUNS=50, seed 1354500017): the header "__proto__" gave a
    // metric without fields.
    const r = new CsvParser({ tagColumns: ['__proto__'] }).parse('__proto__,v\nt,1\n', {
      defaultTime: DEFAULT,
    });
    expect(r.errors).toEqual([]);
    expect(Object.keys(r.metrics[0].tags)).toEqual(['__proto__']);
    expect(r.metrics[0].tags.__proto__).toBe('t');
    const f = new CsvParser({}).parse('__proto__\n\0\n', { defaultTime: DEFAULT });
    expect(f.metrics.map((m) => malformations(m))).toEqual([[]]);
    expect(Object.keys(f.metrics[0].fields)).toEqual(['__proto__']);
  });

  it('should reject a bad row with its line number and keep the others', () => {
    const text =
      'timestamp,value\n2014-07-01 00:00:00,1\n2014-07-01 00:30:00\nnot a time,3\n\n2014-07-01 01:00:00,\n2014-07-01 01:30:00,4\n';
    const r = parse(text);
    expect(r.rows.map((x) => x[2])).toEqual([{ value: 1 }, { value: 4 }]);
    expect(r.errors).toEqual([
      [3, 'expected 2 cells, got 1'],
      [4, 'invalid timestamp "not a time": not an epoch number or ISO 8601 time'],
      [6, 'no values in the row'],
    ]);
  });

  it('should read quoted cells with delimiters, quotes and newlines, CRLF line ends and a BOM', () => {
    const text = '\uFEFFtime,host,msg\r\n1404172800,"web,1","say ""hi""\nthere"\r\n1404172860,web2,plain\r\n';
    const r = parse(text, { tagColumns: ['host'] });
    expect(r.errors).toEqual([]);
    expect(r.rows).toEqual([
      ['csv', { host: 'web,1' }, { msg: 'say "hi"\nthere' }, T],
      ['csv', { host: 'web2' }, { msg: 'plain' }, T + 60_000],
    ]);
  });

  it('should count lines of a multi-line quoted cell in the line numbers of later rows', () => {
    const r = parse('time,msg\n1404172800,"a\nb"\nbad,c\n');
    expect(r.errors).toEqual([[4, 'invalid timestamp "bad": not an epoch number or ISO 8601 time']]);
  });

  it('should take another delimiter, skip comment lines, and name columns without a header row', () => {
    const r = parse('# exported 2014\n1404172800;web1;5\n', {
      header: false,
      columns: ['time', 'host', 'v'],
      delimiter: ';',
      comment: '#',
      tagColumns: ['host'],
    });
    expect(r.rows).toEqual([['csv', { host: 'web1' }, { v: 5 }, T]]);
  });

  it('should keep the header of the first input for the next ones, until reset', () => {
    const p = new CsvParser({ measurement: 'm' });
    expect(parse('timestamp,value\n2014-07-01 00:00:00,1\n', {}, p).rows).toHaveLength(1);
    expect(parse('2014-07-01 00:30:00,2\n', {}, p).rows.map((x) => x[2])).toEqual([{ value: 2 }]);
    p.reset();
    expect(parse('timestamp,value\n2014-07-01 00:00:00,3\n', {}, p).rows).toHaveLength(1);
  });

  it('should report a configured column missing from the header once, at the header line', () => {
    const r = parse('timestamp,value\n2014-07-01 00:00:00,1\n', { tagColumns: ['host'] });
    expect(r.rows).toEqual([]);
    expect(r.errors).toEqual([[1, 'column "host" not in the header (timestamp, value)']]);
  });

  it('should refuse a delimiter of more than one character and a missing header without columns', () => {
    expect(() => new CsvParser({ delimiter: '::' })).toThrow(/one character/);
    expect(() => new CsvParser({ header: false })).toThrow(/columns/);
  });

  it('should be created by the format registry entry with its options', () => {
    const p = createCsvParser({ csv: { measurement: 'x' } } as never);
    expect(p.parse('v\n1\n', { defaultTime: DEFAULT }).metrics[0].name).toBe('x');
    expect(createCsvParser({}).parse('v\n1\n', { defaultTime: DEFAULT }).metrics[0].name).toBe('csv');
  });
});

describe('CSV timestamps', () => {
  const at = (format: string, text: string): string => {
    const t = timeParser(format)(text);
    return typeof t === 'string' ? t : formatTimeNs(t[0], t[1]);
  };

  it('should read epoch numbers exactly in each unit', () => {
    expect(at('unix', '1404172800')).toBe('1404172800000000000');
    expect(at('unix', '1404172800.25')).toBe('1404172800250000000');
    expect(at('unix_ms', '1404172800123')).toBe('1404172800123000000');
    expect(at('unix_us', '1404172800123456')).toBe('1404172800123456000');
    expect(at('unix_ns', '1404172800123456789')).toBe('1404172800123456789');
    expect(at('unix', 'soon')).toBe('invalid timestamp "soon": not a number (unix)');
  });

  it('should guess the unit of epoch numbers and read ISO 8601 text with "auto"', () => {
    expect(at('auto', '1404172800')).toBe('1404172800000000000');
    expect(at('auto', '1404172800123456789')).toBe('1404172800123456789');
    expect(at('auto', '2014-07-01')).toBe('1404172800000000000');
    expect(at('auto', '2014-07-01T02:00:00.5+02:00')).toBe('1404172800500000000');
    expect(at('auto', '2014-07-01 00:00:00')).toBe('1404172800000000000');
  });

  it('should read Go reference layouts, with fractions, zones, month names and 12-hour clocks', () => {
    expect(at('2006-01-02 15:04:05', '2014-07-01 00:30:00')).toBe('1404174600000000000');
    expect(at('02/01/2006 15:04:05.000 -0700', '01/07/2014 01:00:00.250 +0100')).toBe('1404172800250000000');
    expect(at('Jan _2 2006 3:04:05.999999999 PM', 'Jul  1 2014 12:00:00.000001 AM')).toBe(
      '1404172800000001000',
    );
    expect(at('Monday, 02-Jan-06 15:04:05 MST', 'Tuesday, 01-Jul-14 00:00:00 UTC')).toBe(
      '1404172800000000000',
    );
    expect(at('2006-01-02T15:04:05Z07:00', '2014-07-01T00:00:00Z')).toBe('1404172800000000000');
  });

  it('should reject text that does not match the layout or is no real date', () => {
    expect(at('2006-01-02 15:04:05', '2014-07-01T00:30:00')).toBe(
      'invalid timestamp "2014-07-01T00:30:00": does not match layout "2006-01-02 15:04:05"',
    );
    expect(at('2006-01-02', '2014-02-30')).toBe('invalid timestamp "2014-02-30"');
    expect(at('2006-01-02', '2016-02-29')).toBe('1456704000000000000');
  });
});
