/**
 * Prometheus names and escaping: metric names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names
 * `[a-zA-Z_][a-zA-Z0-9_]*` (a leading `__` is reserved for Prometheus itself), label values and
 * HELP text escaped as the text exposition format requires, sample values as Go prints them.
 */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A valid metric name: invalid characters become `_`, a leading digit gets a `_` before it. */
export function metricName(name: string): string {
  if (METRIC_NAME.test(name)) return name;
  const s = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(s) || s === '' ? '_' + s : s;
}

/** A valid label name that is not reserved (`__name` becomes `_name`). */
export function labelName(name: string): string {
  let s = LABEL_NAME.test(name) ? name : name.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(s) || s === '') s = '_' + s;
  if (s.startsWith('__')) s = '_' + s.replace(/^_+/, '');
  return s;
}

/** A label value escaped for the text format: backslash, double quote and newline. */
export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/** HELP text escaped for the text format: backslash and newline. */
export function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the text format writes it (NaN, +Inf, -Inf, or the shortest decimal). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
