export { JsonParser, parseJson } from './parser.ts';
export type { JsonParserOptions } from './parser.ts';
export { JsonSerializer, serializeJson, serializeJsonMetric } from './serializer.ts';
export type { JsonSerializerOptions } from './serializer.ts';
export { guessUnit } from './time.ts';
export type { JsonTimeUnit } from './time.ts';
