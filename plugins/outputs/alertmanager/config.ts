import { z } from 'zod';
import { duration } from '../../../core/config/duration.ts';
import { httpAuthKeys, httpTlsKeys } from '../../../core/lib/http/client.ts';

/** Config of the alertmanager output. */
export const alertmanagerConfig = z.strictObject({
  urls: z
    .array(z.url())
    .min(1)
    .default(['http://127.0.0.1:9093'])
    .describe(
      'Alertmanager base URLs (api/v2/alerts is appended); a write goes to the one that answered last, failing over to the next. For an HA cluster, configure one output per instance.',
    ),
  external_labels: z
    .record(z.string(), z.string())
    .default({})
    .describe('Labels added to every alert that does not carry them (e.g. which agent or region sent it).'),
  generator_url: z
    .string()
    .optional()
    .describe(
      'generatorURL of the alerts, a template where {{LABEL}} is replaced by the label value (e.g. a dashboard link).',
    ),
  value_annotation: z
    .string()
    .default('')
    .describe('Name of an annotation that carries the value that caused the notification; empty: none.'),
  firing_ends_after: duration
    .prefault('0s')
    .describe(
      "A firing alert is sent with endsAt this far ahead, so Alertmanager resolves it by itself when re-sends stop (keep it above the alert processor's repeat_interval); 0 leaves endsAt out (Alertmanager's resolve_timeout applies).",
    ),
  ...httpAuthKeys,
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers.'),
  timeout: duration.prefault('10s').describe('Request timeout.'),
  ...httpTlsKeys,
});

export type AlertmanagerConfig = z.output<typeof alertmanagerConfig>;
