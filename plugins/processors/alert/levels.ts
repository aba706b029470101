/**
 * Levels with hysteresis and label/annotation templates of the alert processor.
 */
import type { Value } from '../../../core/lib/expr/index.ts';
import { truthy } from '../../../core/lib/expr/index.ts';
import type { AlertConfig } from './config.ts';

/** Severity names by level (0 = condition not met). */
export const SEVERITY = ['none', 'info', 'warning', 'critical'] as const;

/** Computes the level of a value given the previous level; null when the value cannot be judged. */
export type LevelOf = (v: Value, prev: number) => number | null;

/** Builds the level function of a rule. */
export function levelFunction(cfg: AlertConfig): LevelOf {
  const th = [NaN, cfg.info ?? NaN, cfg.warning ?? NaN, cfg.critical ?? NaN];
  if (th.every((t) => Number.isNaN(t))) {
    const level = SEVERITY.indexOf(cfg.severity);
    return (v) => (v === null ? null : truthy(v) ? level : 0);
  }
  const sign = cfg.direction === 'above' ? 1 : -1;
  const h = cfg.hysteresis;
  return (v, prev) => {
    if (typeof v !== 'number' || Number.isNaN(v)) return null;
    const x = sign * v;
    let level = 0;
    for (let l = 3; l >= 1; l--) {
      const t = sign * th[l];
      if (Number.isNaN(t)) continue;
      // Enter at the threshold; a level already held is kept until the value is h back past it.
      if (x >= t || (l <= prev && x >= t - h)) {
        level = l;
        break;
      }
    }
    return level;
  };
}

/** A compiled `{{name}}` template. */
export type Template = (vars: (name: string) => string | undefined) => string;

/** Compiles a template: `{{host}} is at {{value}}`; unknown names become empty. */
export function compileTemplate(src: string): Template {
  const parts = src.split(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/);
  return (vars) => {
    let s = parts[0];
    for (let i = 1; i < parts.length; i += 2) s += (vars(parts[i]) ?? '') + parts[i + 1];
    return s;
  };
}
