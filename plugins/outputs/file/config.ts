import { z } from 'zod';
import { duration, size } from '../../../core/config/duration.ts';
import { dataFormatSchema, precisionSchema } from '../../../core/format/registry.ts';

/** Config of the file output. */
export const fileConfig = z.strictObject({
  files: z
    .array(z.string().min(1))
    .min(1)
    .default(['stdout'])
    .describe('Files to write ("stdout" for standard output).'),
  data_format: dataFormatSchema.default('influx').describe('Output format: influx (line protocol) or json.'),
  precision: precisionSchema.default('ns').describe('Timestamp precision of line protocol.'),
  rotation_max_size: size.prefault('0B').describe('Rotate a file when it reaches this size (0 = never).'),
  rotation_interval: duration
    .prefault('0s')
    .describe('Rotate a file this long after it was opened (0 = never).'),
  rotation_max_archives: z.number().int().min(-1).default(5).describe('Rotated files kept (-1 = all).'),
  fsync: z.boolean().default(false).describe('fsync after every write (durable, slower).'),
});

export type FileConfig = z.output<typeof fileConfig>;
