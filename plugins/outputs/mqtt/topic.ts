/**
 * Topic templates: `{name}` is replaced by the metric name and `{tag:KEY}` by the value of tag
 * KEY (empty when the metric has no such tag). The template is compiled once into parts.
 * Characters a topic name may not contain (`+`, `#`, NUL) are replaced by `_`.
 */
import type { Metric } from '../../../core/model/metric/metric.ts';

/** One part of a topic template: literal text, the metric name, or a tag. */
type Part = { text: string } | { name: true } | { tag: string };

/** A compiled template: renders the topic of a metric. */
export type TopicTemplate = (m: Metric) => string;

const PLACEHOLDER = /\{(name|tag:([^}]+))\}/g;
const FORBIDDEN = /[+#]/g;
const NUL = String.fromCharCode(0);

/** Compiles a topic template. */
export function compileTopic(template: string): TopicTemplate {
  const parts: Part[] = [];
  let at = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match.index > at) parts.push({ text: template.slice(at, match.index) });
    parts.push(match[2] !== undefined ? { tag: match[2] } : { name: true });
    at = match.index + match[0].length;
  }
  if (at < template.length) parts.push({ text: template.slice(at) });
  if (parts.every((p) => 'text' in p)) return () => template;
  return (m) => {
    let topic = '';
    for (const p of parts) {
      if ('text' in p) topic += p.text;
      else
        topic += ('tag' in p ? (m.tags[p.tag] ?? '') : m.name).replace(FORBIDDEN, '_').replaceAll(NUL, '_');
    }
    return topic;
  };
}
