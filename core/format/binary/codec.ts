/**
 * The compact binary batch format: used by the disk buffer and the agent to collector transport.
 * Layout in wire.ts; exact round trip of names, tags, typed fields (bigint int64/uint64 included)
 * and nanosecond times. Not kept: integer markers in fieldTypes for fields that do not exist or
 * are not numbers; an unmarked bigint comes back marked `int`. A metric needs a name and a field.
 */
export { encodeBatch, encodable } from './encode.ts';
export { decodeBatch, peekBatchCount, validateBatch } from './decode.ts';
export { VERSION as BINARY_FORMAT_VERSION } from './wire.ts';
