/**
 * Data formats by name: a plugin picks one with its `data_format` key. One line per format below;
 * a format offers a parser, a serializer, or both.
 */
import { z } from 'zod';
import { ErrorCode, VivaError } from '../model/errors/index.ts';
import type { Precision } from '../model/metric/time.ts';
import { JsonParser } from './json/parser.ts';
import { JsonSerializer } from './json/serializer.ts';
import type { JsonTimeUnit } from './json/time.ts';
import { DEFAULT_SERIES_CACHE, LineProtocolParser } from './lineprotocol/parser.ts';
import { LineProtocolSerializer } from './lineprotocol/serializer.ts';
import type { Parser, Serializer } from './types.ts';

/** Options a format factory may use; each format reads the keys it knows. */
export interface FormatOptions {
  /** Line protocol: precision of timestamps. Default ns. */
  precision?: Precision;
  /** JSON: unit of numeric timestamps. Parser default auto (guessed), serializer default s. */
  jsonTimestampUnits?: JsonTimeUnit;
  /** Line protocol parser: series remembered across parse calls (0 = none). */
  seriesCache?: number;
}

interface FormatEntry {
  parser?: (o: FormatOptions) => Parser;
  serializer?: (o: FormatOptions) => Serializer;
}

const FORMATS = {
  influx: {
    parser: (o) => new LineProtocolParser({ precision: o.precision, seriesCache: o.seriesCache }),
    serializer: (o) => new LineProtocolSerializer({ precision: o.precision }),
  },
  json: {
    parser: (o) => new JsonParser({ timestampUnits: o.jsonTimestampUnits }),
    serializer: (o) =>
      new JsonSerializer({ timestampUnits: o.jsonTimestampUnits === 'auto' ? 's' : o.jsonTimestampUnits }),
  },
} satisfies Record<string, FormatEntry>;

/** Names of the data formats. */
export type DataFormat = keyof typeof FORMATS;

/** Every data format name, in registry order. */
export const DATA_FORMATS = Object.keys(FORMATS) as [DataFormat, ...DataFormat[]];

/** The `data_format` config key. */
export const dataFormatSchema = z.enum(DATA_FORMATS);

/** A timestamp precision config key (`precision`). */
export const precisionSchema = z.enum(['ns', 'us', 'ms', 's']);

/** The `json_timestamp_units` config key. */
export const jsonTimestampUnitsSchema = z.enum(['auto', 'ns', 'us', 'ms', 's']);

/** Config keys of a plugin that reads or writes a data format; spread into its schema. */
export const dataFormatConfigShape = {
  data_format: dataFormatSchema.default('influx').describe('Data format: ' + DATA_FORMATS.join(', ') + '.'),
  precision: precisionSchema.default('ns').describe('Timestamp precision of line protocol.'),
  json_timestamp_units: jsonTimestampUnitsSchema
    .optional()
    .describe('Unit of JSON numeric timestamps (parser default: guessed; serializer default: s).'),
};

/** Config key of an input that parses line protocol from a stream that repeats its series. */
export const seriesCacheConfigShape = {
  influx_series_cache: z
    .number()
    .int()
    .min(0)
    .default(DEFAULT_SERIES_CACHE)
    .describe(
      'Line protocol: series the parser remembers between writes, so a known series is not parsed ' +
        'again (0 = none; about 0.35 KB each, only for series actually seen).',
    ),
};

/** FormatOptions from the config keys of dataFormatConfigShape (and seriesCacheConfigShape). */
export function formatOptions(config: {
  precision?: Precision;
  json_timestamp_units?: JsonTimeUnit;
  influx_series_cache?: number;
}): FormatOptions {
  return {
    precision: config.precision,
    jsonTimestampUnits: config.json_timestamp_units,
    seriesCache: config.influx_series_cache,
  };
}

function entry(format: string): FormatEntry {
  const e: FormatEntry | undefined = Object.hasOwn(FORMATS, format)
    ? FORMATS[format as DataFormat]
    : undefined;
  if (e === undefined) {
    throw new VivaError(
      ErrorCode.CONFIG_INVALID,
      `unknown data format "${format}" (known: ${DATA_FORMATS.join(', ')})`,
    );
  }
  return e;
}

/** A parser for a data format; throws a VivaError for a format without one. */
export function createParser(format: DataFormat, options: FormatOptions = {}): Parser {
  const make = entry(format).parser;
  if (make === undefined)
    throw new VivaError(ErrorCode.CONFIG_INVALID, `data format "${format}" cannot be parsed`);
  return make(options);
}

/** A serializer for a data format; throws a VivaError for a format without one. */
export function createSerializer(format: DataFormat, options: FormatOptions = {}): Serializer {
  const make = entry(format).serializer;
  if (make === undefined)
    throw new VivaError(ErrorCode.CONFIG_INVALID, `data format "${format}" cannot be serialized`);
  return make(options);
}
