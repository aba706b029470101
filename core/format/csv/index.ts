import type { FormatOptions } from '../registry.ts';
import { CsvParser, type CsvOptions } from './parser.ts';

export { CsvParser } from './parser.ts';
export type { CsvOptions } from './parser.ts';
export { layoutParser, timeParser } from './time.ts';
export type { TimeParse } from './time.ts';

/** The registry's csv parser: CSV options ride in a `csv` key of the format options (defaults without). */
export function createCsvParser(o: FormatOptions): CsvParser {
  return new CsvParser((o as FormatOptions & { csv?: CsvOptions }).csv);
}
