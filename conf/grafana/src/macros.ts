/**
 * Grafana's macros and template variables expanded the way Grafana does before it sends a
 * panel's query, so that a test can run every query of the dashboards against the real
 * Prometheus and InfluxDB. Only the documented list below is known (docs/GRAFANA.md); anything
 * else that looks like a variable is an error, so a typo in a dashboard fails its test.
 */

/** The time range, interval and variable values a query is expanded for. */
export interface MacroContext {
  /** Start and end of the dashboard range, ms since the epoch. */
  from: number;
  to: number;
  /** `$__interval`: the panel's step (Grafana: range / max data points, at least the datasource's timeInterval). */
  intervalMs: number;
  /** The Prometheus scrape interval (the datasource's timeInterval), for `$__rate_interval`. */
  scrapeIntervalMs: number;
  /** Template variables by name: their selected values (an "All" selection is every value). */
  variables: Record<string, string[]>;
}

/** The datasource kinds whose query languages are expanded. */
export type QueryLanguage = 'prometheus' | 'influxdb';

/** The macros each language knows, with what they become (the list docs/GRAFANA.md shows). */
export const MACROS: Record<QueryLanguage, readonly string[]> = {
  prometheus: [
    '__interval',
    '__interval_ms',
    '__rate_interval',
    '__range',
    '__range_s',
    '__range_ms',
    '__from',
    '__to',
  ],
  influxdb: ['timeFilter', '__timeFilter', '__interval', '__interval_ms', '__range', '__from', '__to'],
};

/** A duration as Grafana prints intervals: `500ms`, `15s`, `2m`, `1h`. */
export function formatInterval(ms: number): string {
  const n = Math.max(1, Math.round(ms));
  if (n % 3_600_000 === 0) return `${n / 3_600_000}h`;
  if (n % 60_000 === 0) return `${n / 60_000}m`;
  if (n % 1000 === 0) return `${n / 1000}s`;
  return `${n}ms`;
}

/** Grafana's `$__rate_interval`: max($__interval + scrape interval, 4 × scrape interval). */
export function rateIntervalMs(ctx: MacroContext): number {
  return Math.max(ctx.intervalMs + ctx.scrapeIntervalMs, 4 * ctx.scrapeIntervalMs);
}

function macroValue(name: string, lang: QueryLanguage, ctx: MacroContext): string {
  const rangeMs = ctx.to - ctx.from;
  switch (name) {
    case 'timeFilter':
    case '__timeFilter':
      return `time >= ${ctx.from}ms and time <= ${ctx.to}ms`;
    case '__interval':
      return formatInterval(ctx.intervalMs);
    case '__interval_ms':
      return String(ctx.intervalMs);
    case '__rate_interval':
      return formatInterval(rateIntervalMs(ctx));
    case '__range':
      return lang === 'prometheus' ? `${Math.round(rangeMs / 1000)}s` : formatInterval(rangeMs);
    case '__range_s':
      return String(Math.round(rangeMs / 1000));
    case '__range_ms':
      return String(rangeMs);
    case '__from':
      return String(ctx.from);
    case '__to':
      return String(ctx.to);
    default:
      throw new Error(`unknown macro $${name}`);
  }
}

/**
 * A value escaped for a regex: InfluxQL regexes are /literals/ (one backslash); a PromQL regex
 * sits in a double-quoted string, where the backslash itself is escaped (Grafana does the same).
 */
function escapeRegex(s: string, lang: QueryLanguage): string {
  const escaped = s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  return lang === 'prometheus' ? escaped.replace(/\\/g, '\\\\') : escaped;
}

/** A variable's values in a format: Grafana's default for both languages is a regex alternation. */
function formatVariable(
  name: string,
  values: string[],
  format: string | undefined,
  lang: QueryLanguage,
): string {
  const esc = (v: string): string => escapeRegex(v, lang);
  switch (format ?? 'regex') {
    case 'regex':
      return values.length === 1 ? esc(values[0]) : `(${values.map(esc).join('|')})`;
    case 'pipe':
      return values.join('|');
    case 'csv':
      return values.join(',');
    case 'raw':
      return values.join(',');
    default:
      throw new Error(`unknown format :${format} of variable ${name}`);
  }
}

const TOKEN = /\$\{([^}:]+)(?::([^}]+))?\}|\[\[([^\]:]+)(?::([^\]]+))?\]\]|\$(\w+)/g;

/**
 * A query with its macros and template variables replaced; throws on a macro the language does
 * not know, on an unknown variable and on a variable with no value.
 */
export function expandQuery(query: string, lang: QueryLanguage, ctx: MacroContext): string {
  return query.replace(
    TOKEN,
    (_m, braced?: string, bracedFormat?: string, bracket?: string, bracketFormat?: string, bare?: string) => {
      const name = braced ?? bracket ?? bare ?? '';
      const format = bracedFormat ?? bracketFormat;
      if (MACROS[lang].includes(name)) return macroValue(name, lang, ctx);
      if (name.startsWith('__')) throw new Error(`unknown macro $${name} for ${lang} in: ${query}`);
      const values = ctx.variables[name];
      if (values === undefined) throw new Error(`unknown variable $${name} in: ${query}`);
      if (values.length === 0) throw new Error(`variable $${name} has no value in: ${query}`);
      return formatVariable(name, values, format, lang);
    },
  );
}
