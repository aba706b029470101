/**
 * Bucket names to measurement, field and tags: Graphite-style templates as in Telegraf
 * ("[filter] pattern [tag=value,...]"), where the pattern's dotted parts are `measurement`,
 * `measurement*`, `field`, `field*`, a tag name, or empty (skip). The first template whose filter
 * matches wins; without one, the dotted name joined by the separator is the measurement.
 */

/** Where a bucket's name ends up. */
export interface NameParts {
  measurement: string;
  field: string;
  tags: Record<string, string> | null;
}

interface Template {
  filter: RegExp | null;
  parts: string[];
  tags: Record<string, string> | null;
}

function globPart(p: string): string {
  return p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*');
}

/** Parses one template; throws with the reason when malformed. */
function parseTemplate(text: string): Template {
  const words = text.trim().split(/\s+/);
  if (words.length === 0 || words[0] === '' || words.length > 3)
    throw new Error(`invalid template "${text}"`);
  let filter: string | null = null;
  let pattern: string;
  let tagText: string | null = null;
  if (words.length === 3) [filter, pattern, tagText] = words;
  else if (words.length === 2 && words[1].includes('=')) [pattern, tagText] = words;
  else if (words.length === 2) [filter, pattern] = words;
  else pattern = words[0];
  let tags: Record<string, string> | null = null;
  if (tagText !== null) {
    tags = {};
    for (const kv of tagText.split(',')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error(`invalid tag "${kv}" in template "${text}"`);
      tags[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  const re =
    filter === null ? null : new RegExp('^' + filter.split('.').map(globPart).join('\\.') + '(\\..*)?$');
  return { filter: re, parts: pattern.split('.'), tags };
}

/** Maps bucket names through the configured templates. */
export class NameMapper {
  private readonly templates: Template[];
  private readonly separator: string;

  constructor(templates: string[], separator: string) {
    this.templates = templates.map(parseTemplate);
    this.separator = separator;
  }

  /** Validates templates (for the config schema). */
  static check(templates: string[]): string | undefined {
    try {
      templates.forEach(parseTemplate);
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  map(bucket: string): NameParts {
    for (const t of this.templates) {
      if (t.filter === null || t.filter.test(bucket)) return this.apply(t, bucket);
    }
    return { measurement: bucket.replaceAll('.', this.separator), field: 'value', tags: null };
  }

  private apply(t: Template, bucket: string): NameParts {
    const parts = bucket.split('.');
    const measurement: string[] = [];
    const field: string[] = [];
    let tags: Record<string, string> | null = t.tags === null ? null : { ...t.tags };
    for (let i = 0; i < t.parts.length && i < parts.length; i++) {
      const p = t.parts[i];
      if (p === 'measurement') measurement.push(parts[i]);
      else if (p === 'measurement*') {
        measurement.push(...parts.slice(i));
        break;
      } else if (p === 'field') field.push(parts[i]);
      else if (p === 'field*') {
        field.push(...parts.slice(i));
        break;
      } else if (p !== '') (tags ??= {})[p] = parts[i];
    }
    return {
      measurement:
        measurement.length > 0 ? measurement.join(this.separator) : bucket.replaceAll('.', this.separator),
      field: field.length > 0 ? field.join('_') : 'value',
      tags,
    };
  }
}
