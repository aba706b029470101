import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { exprSchema } from '../../../core/lib/expr/index.ts';

const templates = z.record(z.string().min(1), z.string());

/** Config of the alert processor: one rule per instance. */
export const alertConfig = z
  .strictObject({
    alert: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .meta({ example: 'HighCpu' })
      .describe('Alert name (the alertname label).'),
    value: exprSchema
      .meta({ example: '100 - fields.usage_idle' })
      .describe(
        'Expression evaluated per metric: a number compared with the thresholds, or (without thresholds) a condition such as fields.usage_anomaly or name == "pattern_match". Metrics where it is null are not evaluated.',
      ),
    info: z.number().optional().describe('Threshold of the info level.'),
    warning: z.number().optional().meta({ example: 80 }).describe('Threshold of the warning level.'),
    critical: z.number().optional().meta({ example: 90 }).describe('Threshold of the critical level.'),
    direction: z
      .enum(['above', 'below'])
      .default('above')
      .describe(
        'A level is reached when the value is at or above its threshold ("above") or at or below it ("below").',
      ),
    hysteresis: z
      .number()
      .min(0)
      .default(0)
      .describe('A reached level is left only once the value is this far back past its threshold.'),
    severity: z
      .enum(['info', 'warning', 'critical'])
      .default('critical')
      .describe('Severity of a condition rule (no thresholds): fires while the value is true.'),
    by: z
      .array(z.string())
      .default(['*'])
      .describe('Tag keys that identify one alert (its labels); ["*"] = one alert per series.'),
    for: duration
      .prefault('0s')
      .describe('How long the condition must hold (pending) before the alert fires.'),
    keep_firing_for: duration
      .prefault('0s')
      .describe('How long a firing alert keeps firing after its condition cleared.'),
    repeat_interval: duration
      .prefault('1m')
      .describe(
        'A firing alert is sent again this often (by the processor clock), so receivers do not expire it.',
      ),
    stale_after: duration
      .prefault('10m')
      .describe('A firing alert whose series sent nothing for this long resolves; 0 never.'),
    labels: templates
      .optional()
      .describe(
        'Extra labels; values are templates where {{TAG}}, {{value}}, {{severity}} and {{alert}} are replaced.',
      ),
    annotations: templates
      .optional()
      .describe('Annotations (summary, description, runbook_url, ...), templates as for labels.'),
    flap_threshold: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        'An alert with more state changes (firing or resolved) than this within flap_window is flapping: its notifications are held until it settles; 0 disables.',
      ),
    flap_settle_threshold: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        'A flapping alert settles once its state changes within flap_window fall to this many (default: half of flap_threshold).',
      ),
    flap_window: duration
      .prefault('10m')
      .describe('Window over which state changes are counted for flapping (in the rule clock).'),
    persist: z
      .boolean()
      .default(true)
      .describe(
        'Keep alert state in the state directory across restarts (no re-alert storm, no missing resolve).',
      ),
  })
  .refine((c) => c.flap_settle_threshold === undefined || c.flap_settle_threshold < c.flap_threshold, {
    message: 'flap_settle_threshold must be below flap_threshold',
    path: ['flap_settle_threshold'],
  })
  .refine(
    (c) => c.hysteresis === 0 || c.info !== undefined || c.warning !== undefined || c.critical !== undefined,
    {
      message: 'hysteresis needs at least one threshold',
      path: ['hysteresis'],
    },
  );

export type AlertConfig = z.output<typeof alertConfig>;
