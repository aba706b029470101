/**
 * Self-metrics of a line protocol parser's series cache (influx_series_cache), for the inputs
 * that parse streams: how often a line's series was remembered, and whether the cache is too
 * small for the stream (then it is bypassed, and a warning says to raise the setting).
 */
import type { PluginContext } from '../plugin/types.ts';
import { LineProtocolParser } from './lineprotocol/parser.ts';
import type { ParseOptions, ParseResult, Parser } from './types.ts';

/** Parse calls between two reports at most (a report costs a few counter updates). */
const EVERY = 64;
/** At most one "cache too small" warning per this many milliseconds. */
const WARN_EVERY_MS = 10 * 60 * 1000;

/**
 * `parser` reporting its series cache as the plugin's self-metrics
 * (`viva_<kind>_<plugin>_series_cache_*`); any other parser is returned as it is.
 */
export function withSeriesCacheMetrics(
  parser: Parser,
  ctx: Pick<PluginContext, 'metrics' | 'log' | 'clock'>,
): Parser {
  if (!(parser instanceof LineProtocolParser) || parser.seriesCacheStats() === null) return parser;
  const hits = ctx.metrics.counter(
    'series_cache_hits',
    'Lines whose series the line protocol parser remembered from earlier input (influx_series_cache)',
  );
  const misses = ctx.metrics.counter(
    'series_cache_misses',
    'Lines whose series was looked up and not remembered',
  );
  const bypassed = ctx.metrics.counter(
    'series_cache_bypassed_bytes',
    'Input parsed without the series cache because it was full and hit too little (raise influx_series_cache)',
  );
  const size = ctx.metrics.gauge('series_cache_series', 'Series the line protocol parser remembers');
  const last = { hits: 0, misses: 0, bypassed: 0 };
  let calls = 0;
  let reportedAt = -Infinity;
  let warnedAt = -Infinity;
  const report = (): void => {
    const s = parser.seriesCacheStats();
    if (s === null) return;
    if (s.hits > last.hits) hits(s.hits - last.hits);
    if (s.misses > last.misses) misses(s.misses - last.misses);
    if (s.bypassedBytes > last.bypassed) {
      bypassed(s.bypassedBytes - last.bypassed);
      const now = ctx.clock.now();
      if (now - warnedAt >= WARN_EVERY_MS) {
        warnedAt = now;
        ctx.log.warn(
          {
            influx_series_cache: s.capacity,
            hit_ratio: Math.round(s.lastHitRatio * 1000) / 1000,
          },
          'the series cache is full and hits too few lines, so input is parsed without it for a while: ' +
            'raise influx_series_cache above the number of series this input receives',
        );
      }
    }
    size(s.size);
    last.hits = s.hits;
    last.misses = s.misses;
    last.bypassed = s.bypassedBytes;
  };
  return {
    parse(input: Buffer | string, options?: ParseOptions): ParseResult {
      const r = parser.parse(input, options);
      // Reported every EVERY calls, and after any call a second or more after the last report.
      const now = ctx.clock.now();
      if (++calls >= EVERY || now - reportedAt >= 1000) {
        calls = 0;
        reportedAt = now;
        report();
      }
      return r;
    },
  };
}
