import { z } from 'zod';
import { duration, size } from '../../../core/config/duration.ts';
import { socketAddressSchema } from '../../../core/lib/listen/address.ts';
import { NameMapper } from './template.ts';

/** Config of the statsd input. */
export const statsdConfig = z.strictObject({
  service_address: socketAddressSchema('udp')
    .default('udp://127.0.0.1:8125')
    .describe('Where to listen: udp://host:port (the usual) or tcp://host:port.'),
  percentiles: z
    .array(z.number().gt(0).max(100))
    .default([50, 90, 99])
    .describe('Percentiles of timings and histograms, as fields "<p>_percentile".'),
  percentile_limit: z
    .number()
    .int()
    .positive()
    .default(1000)
    .describe('Samples kept per timing series and interval for percentiles (a random sample beyond).'),
  delete_counters: z
    .boolean()
    .default(true)
    .describe('Reset counters after each gather (false: cumulative).'),
  delete_gauges: z
    .boolean()
    .default(true)
    .describe('Forget gauges after each gather (false: repeat the last value).'),
  delete_sets: z.boolean().default(true).describe('Reset sets after each gather.'),
  delete_timings: z.boolean().default(true).describe('Reset timing statistics after each gather.'),
  metric_separator: z
    .string()
    .default('_')
    .describe('Joins the parts of a dotted bucket name into the measurement.'),
  templates: z
    .array(z.string())
    .superRefine((v, ctx) => {
      const problem = NameMapper.check(v);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .default([])
    .describe(
      'Graphite-style templates ("[filter] pattern [tag=value,...]") mapping bucket parts to measurement, field and tags.',
    ),
  datadog_extensions: z.boolean().default(true).describe('Parse DogStatsD tags (|#key:value,...).'),
  max_series: z
    .number()
    .int()
    .positive()
    .default(100_000)
    .describe('Distinct series held per interval; more are rejected and counted (a flood guard).'),
  max_connections: z
    .number()
    .int()
    .min(0)
    .default(250)
    .describe('Concurrent TCP connections (0 = unlimited).'),
  read_timeout: duration.prefault('0s').describe('Close a TCP connection idle this long (0 = never).'),
  max_line_length: size
    .prefault('64KiB')
    .describe('Longest line accepted over TCP; longer ones are rejected.'),
  read_buffer_size: size.prefault('0').describe('UDP socket receive buffer (0 = system default).'),
});

export type StatsdConfig = z.output<typeof statsdConfig>;
