/**
 * The CSV parser: one metric per row. A header row (or `columns`) names the columns; the
 * timestamp column gives the time (see time.ts), tag columns the tags, value columns the fields
 * (numbers become floats, true/false booleans, other text strings; empty cells are left out),
 * and the measurement is fixed or read from a column. RFC 4180 quoting (delimiters, quotes and
 * newlines inside quoted cells), any one-character delimiter, comment lines, a UTF-8 BOM.
 *
 * The parser reads the header from the first input it is given and keeps it for later inputs
 * (a file read in chunks, a tailed file); `reset()` starts over. A bad row is one ParseError
 * with its line; the other rows are not affected. Never throws on bad input.
 */
import { Metric, setOwn } from '../../model/metric/metric.ts';
import type { FieldValue, Fields, Tags } from '../../model/metric/metric.ts';
import type { ParseError, ParseOptions, ParseResult, Parser } from '../types.ts';
import { timeParser, type TimeParse } from './time.ts';

/** Options of a CsvParser. */
export interface CsvOptions {
  /** The first row names the columns. Default true (false needs `columns`). */
  header?: boolean;
  /** Column names; with a header row they replace its names. */
  columns?: string[];
  /** One character between cells. Default ",". */
  delimiter?: string;
  /** Lines starting with this are skipped. Default "" (none). */
  comment?: string;
  /** Column of the timestamp. Default "timestamp", else "time", else none (rows get the default time). */
  timestampColumn?: string;
  /** auto (default), unix, unix_ms, unix_us, unix_ns, rfc3339, or a Go layout ("2006-01-02 15:04:05"). */
  timestampFormat?: string;
  /** Columns that become tags. */
  tagColumns?: string[];
  /** Columns that become fields. Default: every column not used otherwise. */
  valueColumns?: string[];
  /** Measurement name. Default "csv". */
  measurement?: string;
  /** Column holding the measurement name (rows where it is empty get `measurement`). */
  measurementColumn?: string;
}

const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Where each role's cells are, once the columns are known. */
interface Layout {
  width: number;
  time: number;
  measurement: number;
  tags: [string, number][];
  values: [string, number][];
}

export class CsvParser implements Parser {
  private readonly opts: CsvOptions;
  private readonly delimiter: string;
  private readonly parseTime: TimeParse;
  private layout: Layout | undefined;

  constructor(opts: CsvOptions = {}) {
    this.opts = opts;
    this.delimiter = opts.delimiter ?? ',';
    if (this.delimiter.length !== 1 || this.delimiter === '"' || this.delimiter === '\n')
      throw new Error(
        `csv delimiter must be one character other than a quote or newline, got ${JSON.stringify(this.delimiter)}`,
      );
    if (opts.header === false && opts.columns === undefined)
      throw new Error('csv without a header row needs its columns named');
    this.parseTime = timeParser(opts.timestampFormat ?? 'auto');
    if (opts.header === false) this.layout = this.plan(opts.columns ?? [], 0).layout;
  }

  /** Forgets the header, for a new input. */
  reset(): void {
    this.layout = this.opts.header === false ? this.plan(this.opts.columns ?? [], 0).layout : undefined;
  }

  parse(input: Buffer | string, options: ParseOptions = {}): ParseResult {
    let text = typeof input === 'string' ? input : input.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const metrics: Metric[] = [];
    const errors: ParseError[] = [];
    const defaultTime = options.defaultTime ?? [Date.now(), 0];
    const reader = new RecordReader(text, this.delimiter, this.opts.comment ?? '');
    for (let rec = reader.next(); rec !== null; rec = reader.next()) {
      if (rec.error !== undefined) {
        errors.push({
          line: rec.line,
          message: rec.error,
          text: rec.cells.join(this.delimiter).slice(0, 200),
        });
        continue;
      }
      if (this.layout === undefined) {
        const names = this.opts.columns ?? rec.cells.map((c) => c.trim());
        const { layout, error } = this.plan(names, rec.cells.length);
        if (error !== undefined) {
          errors.push({ line: rec.line, message: error });
          return { metrics, errors };
        }
        this.layout = layout;
        continue;
      }
      const m = this.row(this.layout, rec.cells, defaultTime);
      if (typeof m === 'string')
        errors.push({ line: rec.line, message: m, text: rec.cells.join(this.delimiter).slice(0, 200) });
      else metrics.push(m);
    }
    return { metrics, errors };
  }

  /** Assigns the columns their roles; an error when a named column is missing. */
  private plan(names: string[], width: number): { layout: Layout; error?: string } {
    const o = this.opts;
    const index = (name: string): number => names.indexOf(name);
    const missing = [
      o.timestampColumn,
      o.measurementColumn,
      ...(o.tagColumns ?? []),
      ...(o.valueColumns ?? []),
    ].filter((c) => c !== undefined && index(c) === -1);
    const time =
      o.timestampColumn !== undefined
        ? index(o.timestampColumn)
        : index('timestamp') !== -1
          ? index('timestamp')
          : index('time');
    const measurement = o.measurementColumn !== undefined ? index(o.measurementColumn) : -1;
    const tags = (o.tagColumns ?? []).map((c): [string, number] => [c, index(c)]);
    const used = new Set([time, measurement, ...tags.map((t) => t[1])]);
    const values =
      o.valueColumns !== undefined
        ? o.valueColumns.map((c): [string, number] => [c, index(c)])
        : names.flatMap((c, i): [string, number][] => (used.has(i) || c === '' ? [] : [[c, i]]));
    const layout = { width: Math.max(width, names.length), time, measurement, tags, values };
    if (missing.length > 0)
      return {
        layout,
        error: `column${missing.length > 1 ? 's' : ''} ${missing.map((c) => JSON.stringify(c)).join(', ')} not in the header (${names.join(', ')})`,
      };
    return { layout };
  }

  /** One data row as a metric, or why it is rejected. */
  private row(l: Layout, cells: string[], defaultTime: readonly [number, number]): Metric | string {
    if (cells.length !== l.width) return `expected ${l.width} cells, got ${cells.length}`;
    let time = defaultTime;
    if (l.time !== -1) {
      const t = this.parseTime(cells[l.time].trim());
      if (typeof t === 'string') return t;
      time = t;
    }
    const tags: Tags = {};
    for (const [k, i] of l.tags) if (cells[i] !== '') setOwn(tags, k, cells[i]);
    const fields: Fields = {};
    let n = 0;
    for (const [k, i] of l.values) {
      const c = cells[i];
      if (c === '') continue;
      setOwn<FieldValue>(
        fields,
        k,
        NUMBER.test(c) ? Number(c) : c === 'true' ? true : c === 'false' ? false : c,
      );
      n++;
    }
    if (n === 0) return 'no values in the row';
    const name =
      l.measurement !== -1 && cells[l.measurement] !== ''
        ? cells[l.measurement]
        : (this.opts.measurement ?? 'csv');
    return new Metric(name, tags, fields, time[0], time[1]);
  }
}

/** One record: its cells and first line, or why it is malformed. */
interface CsvRecord {
  cells: string[];
  line: number;
  error?: string;
}

/** Splits text into records: unquoted lines by a fast split, quoted cells by a scanner. */
class RecordReader {
  private pos = 0;
  private line = 1;
  private readonly text: string;
  private readonly delimiter: string;
  private readonly comment: string;

  constructor(text: string, delimiter: string, comment: string) {
    this.text = text;
    this.delimiter = delimiter;
    this.comment = comment;
  }

  next(): CsvRecord | null {
    const t = this.text;
    while (this.pos < t.length) {
      let end = t.indexOf('\n', this.pos);
      if (end === -1) end = t.length;
      const raw = t.slice(this.pos, end > this.pos && t.charCodeAt(end - 1) === 13 ? end - 1 : end);
      const line = this.line;
      if (raw.trim() === '' || (this.comment !== '' && raw.startsWith(this.comment))) {
        this.pos = end + 1;
        this.line++;
        continue;
      }
      if (!raw.includes('"')) {
        this.pos = end + 1;
        this.line++;
        return { cells: raw.split(this.delimiter), line };
      }
      return this.quoted(line);
    }
    return null;
  }

  /** A record with quoted cells, which may span lines. */
  private quoted(line: number): CsvRecord {
    const t = this.text;
    const cells: string[] = [];
    let cell = '';
    let i = this.pos;
    let error: string | undefined;
    for (;;) {
      if (t[i] === '"') {
        i++;
        for (;;) {
          if (i >= t.length) {
            error = 'unterminated quoted cell';
            break;
          }
          const c = t[i];
          if (c === '"') {
            if (t[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') this.line++;
          cell += c;
          i++;
        }
      }
      while (i < t.length && t[i] !== this.delimiter && t[i] !== '\n') {
        if (t[i] === '"' && error === undefined) error = 'quote inside an unquoted cell';
        if (t[i] !== '\r' || t[i + 1] !== '\n') cell += t[i];
        i++;
      }
      cells.push(cell);
      cell = '';
      if (i < t.length && t[i] === this.delimiter) {
        i++;
        continue;
      }
      break;
    }
    this.pos = i + 1;
    this.line++;
    return { cells, line, error };
  }
}
