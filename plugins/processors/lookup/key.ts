/**
 * Lookup keys: a template like "{{dc}}/{{host}}" compiled once into literal and tag parts.
 */
import type { Metric } from '../../../core/model/metric/metric.ts';

/** Alternating parts: even indexes are literals, odd ones tag keys. */
export type KeyTemplate = string[];

const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;

/** Why a template is invalid, or undefined. */
export function templateError(template: string): string | undefined {
  const rest = template.replace(PLACEHOLDER, '');
  if (rest.includes('{{') || rest.includes('}}'))
    return `malformed placeholder in key template ${JSON.stringify(template)}`;
  if (rest.length === template.length)
    return `key template ${JSON.stringify(template)} names no tag (use {{tag}})`;
  return undefined;
}

/** Compiles a template (validated by the schema). */
export function compileTemplate(template: string): KeyTemplate {
  const parts: string[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    parts.push(template.slice(last, m.index), m[1]);
    last = m.index + m[0].length;
  }
  parts.push(template.slice(last));
  return parts;
}

/** The template equivalent of key_tags joined by a separator. */
export function tagsTemplate(tags: string[], separator: string): KeyTemplate {
  const parts = [''];
  tags.forEach((t, i) => parts.push(t, i < tags.length - 1 ? separator : ''));
  return parts;
}

/** The key of a metric, or null when it lacks one of the tags. */
export function keyOf(parts: KeyTemplate, m: Metric): string | null {
  let key = parts[0];
  for (let i = 1; i < parts.length; i += 2) {
    const v = m.tags[parts[i]];
    if (typeof v !== 'string') return null;
    key += v + parts[i + 1];
  }
  return key;
}
