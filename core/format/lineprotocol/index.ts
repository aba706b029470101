export { LineProtocolParser, parseLineProtocol } from './parser.ts';
export type { LineProtocolParserOptions } from './parser.ts';
export { LineProtocolSerializer, serializeLineProtocol, serializeMetricTo } from './serializer.ts';
export type { LineProtocolSerializerOptions } from './serializer.ts';
