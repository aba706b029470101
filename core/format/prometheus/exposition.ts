/**
 * The Prometheus text exposition format (version 0.0.4): families of samples with HELP and TYPE,
 * histograms as `_bucket` (with `le`), `_sum` and `_count` samples under the family name.
 */
import { escapeHelp, escapeLabelValue, formatValue } from './names.ts';

/** Content-Type of the text format. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Metric types the text format knows. */
export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample: its full name (for histograms with the suffix), sorted labels, value, time. */
export interface Sample {
  name: string;
  labels: readonly (readonly [string, string])[];
  value: number;
  /** Milliseconds since the epoch, written only when the caller asks for timestamps. */
  timeMs?: number;
}

/** A family: the samples sharing one metric name (a histogram's three suffixes included). */
export interface Family {
  name: string;
  type: FamilyType;
  help: string;
  samples: Sample[];
}

function labelText(labels: Sample['labels']): string {
  if (labels.length === 0) return '';
  let s = '{';
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) s += ',';
    s += labels[i][0] + '="' + escapeLabelValue(labels[i][1]) + '"';
  }
  return s + '}';
}

/** Renders families in the text format; `timestamps` writes each sample's time. */
export function renderExposition(families: readonly Family[], timestamps = false): string {
  let out = '';
  for (const f of families) {
    if (f.samples.length === 0) continue;
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) {
      out += s.name + labelText(s.labels) + ' ' + formatValue(s.value);
      if (timestamps && s.timeMs !== undefined) out += ' ' + String(s.timeMs);
      out += '\n';
    }
  }
  return out;
}
