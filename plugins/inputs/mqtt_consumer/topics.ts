/**
 * Topic parsing, as in Telegraf: a rule whose `topic` filter matches (MQTT wildcards `+` and `#`)
 * takes segments of the topic into the measurement name, tags and fields. The `measurement`,
 * `tags` and `fields` patterns have one part per topic segment: `_` skips a segment, any other
 * name takes the segment under that name (`tags = "_/site/_/device"` on `plant/north/temp/d7`
 * gives site=north, device=d7). Field values are converted by `types` (int, float, bool, string).
 */
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { TopicParsingRule } from './config.ts';

/** A rule with its patterns split into segments once. */
export interface CompiledRule {
  filter: string[];
  measurement: string[] | undefined;
  tags: string[] | undefined;
  fields: string[] | undefined;
  types: Record<string, 'int' | 'float' | 'bool' | 'string'>;
}

/** True when an MQTT topic filter (with + and #) matches a topic. */
export function topicMatches(filter: string[], topic: string[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i];
    if (f === '#') return true;
    if (i >= topic.length) return false;
    if (f !== '+' && f !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

/** Splits each rule's patterns into segments. */
export function compileRules(rules: TopicParsingRule[]): CompiledRule[] {
  return rules.map((r) => ({
    filter: r.topic.split('/'),
    measurement: r.measurement?.split('/'),
    tags: r.tags?.split('/'),
    fields: r.fields?.split('/'),
    types: r.types,
  }));
}

/** The first rule whose filter matches the topic, or undefined. */
export function ruleFor(rules: CompiledRule[], segments: string[]): CompiledRule | undefined {
  for (const r of rules) if (topicMatches(r.filter, segments)) return r;
  return undefined;
}

/** Converts a topic segment to a field value of the given type; undefined when it does not parse. */
function fieldValue(text: string, type: string | undefined): number | boolean | string | undefined {
  switch (type) {
    case 'int':
    case 'float': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n) || (type === 'int' && !Number.isSafeInteger(n)))
        return undefined;
      return n;
    }
    case 'bool':
      return text === 'true' ? true : text === 'false' ? false : undefined;
    default:
      return text;
  }
}

/**
 * Applies a rule to a metric parsed from a message on that topic. Returns an error message when a
 * typed field segment does not parse (the metric is then left as it was).
 */
export function applyRule(rule: CompiledRule, segments: string[], m: Metric): string | undefined {
  const fields = rule.fields;
  if (fields !== undefined) {
    for (let i = 0; i < fields.length && i < segments.length; i++) {
      const key = fields[i];
      if (key === '_' || key === '') continue;
      const value = fieldValue(segments[i], rule.types[key]);
      if (value === undefined)
        return `topic segment "${segments[i]}" is not a ${rule.types[key]} for field ${key}`;
    }
    for (let i = 0; i < fields.length && i < segments.length; i++) {
      const key = fields[i];
      if (key === '_' || key === '') continue;
      const value = fieldValue(segments[i], rule.types[key]) as number | boolean | string;
      if (rule.types[key] === 'int') m.setInt(key, value as number);
      else m.setField(key, value);
    }
  }
  const measurement = rule.measurement;
  if (measurement !== undefined) {
    for (let i = 0; i < measurement.length && i < segments.length; i++) {
      if (measurement[i] !== '_' && measurement[i] !== '') {
        m.name = segments[i];
        break;
      }
    }
  }
  const tags = rule.tags;
  if (tags !== undefined) {
    for (let i = 0; i < tags.length && i < segments.length; i++) {
      if (tags[i] !== '_' && tags[i] !== '') m.tags[tags[i]] = segments[i];
    }
  }
  return undefined;
}
