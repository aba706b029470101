/**
 * The Prometheus text exposition of the self-metrics, written here from the instruments: the
 * same bytes OpenTelemetry's Prometheus exporter (0.301) wrote from the same values, which
 * `exposition.test.ts` holds it to, without the SDK, its resources and serializer, which cost a
 * scraped idle agent about 5 MB RSS (BENCHMARKS.md, "Each change, what it saved").
 *
 * What the exporter did and this keeps: `target_info{service_name="..."} 1` first; one family per
 * Prometheus name (counters get `_total`; a name used by two kinds of instrument is dropped) with
 * `# HELP`, `# UNIT` (histograms: `s`) and `# TYPE` once; histograms as `_count`, `_sum` and
 * cumulative `_bucket{le=...}` lines; label names sanitized, label values escaped (backslash,
 * newline, double quote; non-strings as JSON). `timestamps` adds `otel_scope_name="viva"` and the
 * time in milliseconds to every sample but target_info's.
 */
import type { Attributes } from '@opentelemetry/api';
import type { Instrument } from './instruments.ts';

const SCOPE = 'viva';

function escapeString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(v: unknown = ''): string {
  return escapeString(typeof v === 'string' ? v : String(JSON.stringify(v))).replace(/"/g, '\\"');
}

/** Characters OpenTelemetry allows in names and Prometheus does not become `_` (one per run). */
function sanitize(name: string): string {
  return name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
}

function valueString(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return `${v}`;
}

/** One sample line: the attributes, then the extra labels (scope, `le`), value, time. */
function sample(
  name: string,
  attributes: Attributes,
  value: number,
  time: number | undefined,
  extra?: Record<string, string>,
): string {
  let labels = '';
  for (const [k, v] of Object.entries(attributes))
    labels += `${labels.length > 0 ? ',' : ''}${sanitize(k)}="${escapeLabelValue(v)}"`;
  if (extra !== undefined)
    for (const [k, v] of Object.entries(extra))
      labels += `${labels.length > 0 ? ',' : ''}${sanitize(k)}="${escapeLabelValue(v)}"`;
  const series = labels === '' ? name : `${name}{${labels}}`;
  return `${series} ${valueString(value)}${time !== undefined ? ` ${time}` : ''}\n`;
}

/** A metric family: `meta` is undefined once two kinds of instrument claimed its name (dropped). */
interface Family {
  meta: { help: string; unit: string; type: Instrument['kind'] } | undefined;
  parts: string[];
}

/** The Prometheus name of an instrument, or undefined where none is valid. */
function promName(i: Instrument): string | undefined {
  let name = sanitize(escapeString(i.name));
  if (name === '' || name === '_') return undefined;
  if (name[0] >= '0' && name[0] <= '9') name = `_${name}`;
  if (i.kind === 'counter' && !name.endsWith('_total')) name += '_total';
  return name;
}

/** The sample lines of an instrument now, or '' when it has no data point. */
function samplesOf(
  i: Instrument,
  name: string,
  time: number | undefined,
  scope?: Record<string, string>,
): string {
  let out = '';
  if (i.kind === 'counter') {
    for (const p of i.series.points()) out += sample(name, p.attributes, p.value.sum, time, scope);
  } else if (i.kind === 'gauge') {
    for (const p of i.collect()) out += sample(name, p.attributes, p.value, time, scope);
  } else {
    for (const p of i.series.points()) {
      const h = p.value;
      out += sample(`${name}_count`, p.attributes, h.count, time, scope);
      out += sample(`${name}_sum`, p.attributes, h.sum, time, scope);
      let cumulative = 0;
      let infinite = false;
      for (let b = 0; b < h.counts.length; b++) {
        cumulative += h.counts[b];
        const bound = i.boundaries[b];
        // Bounds that end with Infinity already have their +Inf bucket.
        if (bound === undefined && infinite) break;
        if (bound === Infinity) infinite = true;
        const le = bound === undefined || bound === Infinity ? '+Inf' : String(bound);
        out += sample(`${name}_bucket`, p.attributes, cumulative, time, { ...scope, le });
      }
    }
  }
  return out;
}

/**
 * The exposition text of the instruments: `timestamps` adds each sample's time (`now`) and the
 * `otel_scope_name` label (the text tests and the dashboard read), else as /metrics serves it.
 */
export function exposition(
  serviceName: string,
  instruments: Iterable<Instrument>,
  timestamps: boolean,
  now = Date.now(),
): string {
  const time = timestamps ? now : undefined;
  const scope = timestamps ? { otel_scope_name: SCOPE } : undefined;
  const families = new Map<string, Family>();
  families.set('target_info', { meta: { help: 'Target metadata', unit: '', type: 'gauge' }, parts: [] });
  for (const i of instruments) {
    const name = promName(i);
    if (name === undefined) continue;
    const samples = samplesOf(i, name, time, scope);
    if (samples === '') continue;
    const unit = i.kind === 'histogram' ? i.unit : '';
    const f = families.get(name);
    if (f === undefined) {
      families.set(name, { meta: { help: i.description, unit, type: i.kind }, parts: [samples] });
    } else if (f.meta !== undefined) {
      if (f.meta.type !== i.kind) {
        f.meta = undefined;
        f.parts = [];
        continue;
      }
      // The first non-empty HELP and UNIT of the family win.
      if (f.meta.help === '') f.meta.help = i.description;
      if (f.meta.unit === '') f.meta.unit = unit;
      f.parts.push(samples);
    }
  }
  let resource = '';
  let text = '';
  for (const [name, f] of families) {
    if (f.meta === undefined) continue;
    const header =
      `# HELP ${name} ${escapeString(f.meta.help || 'description missing')}` +
      (f.meta.unit ? `\n# UNIT ${name} ${escapeString(f.meta.unit)}` : '') +
      `\n# TYPE ${name} ${f.meta.type}\n`;
    let writeHeader = true;
    if (name === 'target_info') {
      resource = `${header}${sample(name, { 'service.name': serviceName }, 1, undefined).trim()}\n`;
      writeHeader = false;
    }
    for (const part of f.parts) {
      text += `${writeHeader ? header : ''}${part}`.trim() + '\n';
      writeHeader = false;
    }
  }
  return resource + (text === '' ? '# no registered metrics' : text);
}
