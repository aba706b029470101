/**
 * Parsers of the polling inputs by `data_format`: line protocol, or arbitrary JSON read with the
 * Telegraf json parser options (json_query, tag_keys, ...). The listeners take the registry's
 * formats as they are (core/format/registry.ts).
 */
import { z } from 'zod';
import { createParser } from '../../format/registry.ts';
import type { Parser } from '../../format/types.ts';
import type { Precision } from '../../model/metric/time.ts';
import { JsonObjectParser, type JsonObjectOptions } from './json-objects.ts';

/** `data_format` of a polling input: influx (line protocol) or json (arbitrary JSON). */
export const recordFormatSchema = z.enum(['influx', 'json']);

export type RecordFormat = z.output<typeof recordFormatSchema>;

/** The parser of a polling input. */
export function recordParser(format: RecordFormat, precision: Precision, json: JsonObjectOptions): Parser {
  return format === 'json' ? new JsonObjectParser(json) : createParser('influx', { precision });
}
