import { z } from 'zod';
import { duration, size } from '../../../core/config/duration.ts';
import { precisionSchema } from '../../../core/format/registry.ts';
import { recordFormatSchema } from '../../../core/lib/listen/format.ts';
import { jsonObjectKeys } from '../../../core/lib/listen/json-objects.ts';

/** Config of the exec input. */
export const execConfig = z.strictObject({
  commands: z
    .array(z.array(z.string()).min(1))
    .min(1)
    .meta({ example: [['/usr/local/bin/metrics.sh', '--format', 'influx']] })
    .describe('Commands to run on every gather, each an argv array (no shell).'),
  command_timeout: duration
    .prefault('5s')
    .describe('Deadline of a command; then SIGTERM, and SIGKILL after kill_grace.'),
  kill_grace: duration.prefault('2s').describe('Time between SIGTERM and SIGKILL when a command overruns.'),
  environment: z
    .record(z.string(), z.string())
    .default({})
    .describe('Extra environment variables of the commands.'),
  working_directory: z.string().optional().describe("Directory the commands run in (default: the agent's)."),
  max_output_size: size
    .prefault('16MiB')
    .describe('Largest stdout read from one run; a larger one is killed and fails.'),
  max_stderr_size: size.prefault('4KiB').describe('Stderr kept for the log, per run.'),
  data_format: recordFormatSchema
    .default('influx')
    .describe('influx (line protocol) or json (arbitrary JSON, read with the json_* keys).'),
  precision: precisionSchema.default('ns').describe('Unit of line protocol timestamps.'),
  ...jsonObjectKeys,
});

export type ExecConfig = z.output<typeof execConfig>;
