import { z } from 'zod';
import { duration, size } from '../../../core/config/duration.ts';
import { precisionSchema } from '../../../core/format/registry.ts';
import { recordFormatSchema } from '../../../core/lib/listen/format.ts';
import { jsonObjectKeys } from '../../../core/lib/listen/json-objects.ts';

/** Config of the tail input. */
export const tailConfig = z.strictObject({
  files: z
    .array(z.string().min(1))
    .min(1)
    .meta({ example: ['/var/log/app/*.lp'] })
    .describe('Files to follow: paths or globs, matched again on every poll.'),
  from_beginning: z
    .boolean()
    .default(false)
    .describe(
      'Read files found at start from their beginning (default: from their end); files that appear later are always read whole.',
    ),
  poll_interval: duration
    .prefault('250ms')
    .describe('How often files are checked for new data, rotation and truncation.'),
  max_line_length: size
    .prefault('64KiB')
    .describe('Longest line accepted; longer ones are rejected and counted.'),
  max_batch_bytes: size
    .prefault('4MiB')
    .describe('Bytes read from one file per batch (a larger backlog takes several polls).'),
  path_tag: z.string().default('path').describe('Tag carrying the file path ("" = none).'),
  data_format: recordFormatSchema
    .default('influx')
    .describe('influx (line protocol) or json (one JSON object per line, read with the json_* keys).'),
  precision: precisionSchema.default('ns').describe('Unit of line protocol timestamps.'),
  ...jsonObjectKeys,
});

export type TailConfig = z.output<typeof tailConfig>;
