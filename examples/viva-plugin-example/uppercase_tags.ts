/**
 * The uppercase_tags processor: upper-cases tag values, of every tag or of the listed ones.
 */
import { defineProcessor, z, type Metric } from 'viva/sdk';

const config = z.strictObject({
  tags: z
    .array(z.string().min(1))
    .default([])
    .describe('Tag keys whose values are upper-cased; empty means all.'),
});

/** The uppercase_tags processor. */
export const uppercaseTagsProcessor = defineProcessor({
  name: 'uppercase_tags',
  description: 'Upper-cases tag values (an example external plugin)',
  config,
  create: (cfg) => {
    const only = cfg.tags.length > 0 ? new Set(cfg.tags) : undefined;
    return {
      process(metrics: Metric[]): Metric[] {
        for (const m of metrics)
          for (const k of Object.keys(m.tags))
            if (only === undefined || only.has(k)) m.tags[k] = m.tags[k].toUpperCase();
        return metrics;
      },
    };
  },
});
