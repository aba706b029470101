export type { ParseError, ParseOptions, ParseResult, Parser, SerializeResult, Serializer } from './types.ts';
export {
  DATA_FORMATS,
  createParser,
  createSerializer,
  dataFormatConfigShape,
  dataFormatSchema,
  formatOptions,
  jsonTimestampUnitsSchema,
  precisionSchema,
} from './registry.ts';
export type { DataFormat, FormatOptions } from './registry.ts';
export {
  LineProtocolParser,
  LineProtocolSerializer,
  parseLineProtocol,
  serializeLineProtocol,
  serializeMetricTo,
} from './lineprotocol/index.ts';
export type { LineProtocolParserOptions, LineProtocolSerializerOptions } from './lineprotocol/index.ts';
export {
  JsonParser,
  JsonSerializer,
  guessUnit,
  parseJson,
  serializeJson,
  serializeJsonMetric,
} from './json/index.ts';
export type { JsonParserOptions, JsonSerializerOptions, JsonTimeUnit } from './json/index.ts';
