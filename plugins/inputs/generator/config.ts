import { z } from 'zod';

/** Config of the generator input. */
export const generatorConfig = z.strictObject({
  name: z.string().default('generated').describe('Measurement name of the generated metrics.'),
  series: z.number().int().positive().default(10).describe('Distinct series (tag combinations).'),
  tag_count: z.number().int().min(0).max(16).default(4).describe('Tags per metric besides "series".'),
  field_count: z.number().int().min(1).max(16).default(4).describe('Float fields per metric besides "seq".'),
  rate: z
    .number()
    .min(0)
    .default(0)
    .describe('Metrics per second as a service; 0 = one metric per series per gather interval.'),
  batch_size: z.number().int().positive().default(1000).describe('Metrics per pushed batch at a set rate.'),
  total: z.number().int().min(0).default(0).describe('Stop after this many metrics (0 = no limit).'),
  anomaly_every: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe(
      'Inject an anomaly: every Nth metric of each series gets its values raised by 400 (far outside the sine wave); 0 = none.',
    ),
});

export type GeneratorConfig = z.output<typeof generatorConfig>;
