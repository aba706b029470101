/**
 * Telegraf (Go RE2) spellings translated to JS RegExp once, at config time: a leading `(?i)`
 * becomes the `i` flag, `(?P<name>` becomes `(?<name>`; in replacements `${1}` and `${name}`
 * refer to groups and `$0`/`${0}` to the whole match.
 */

/** Builds the RegExp of a Telegraf-style pattern; throws SyntaxError when invalid. */
export function toRegExp(pattern: string, flags = ''): RegExp {
  let src = pattern;
  let f = flags;
  if (src.startsWith('(?i)')) {
    src = src.slice(4);
    f += 'i';
  }
  return new RegExp(src.replace(/\(\?P</g, '(?<'), f);
}

/** Why a pattern is invalid, or undefined when it compiles. */
export function patternError(pattern: string): string | undefined {
  try {
    toRegExp(pattern);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Translates a Go-style replacement to a JS replacement string. */
export function toReplacement(repl: string): string {
  return repl.replace(
    /\$(\$|\{(\w+)\}|0(?!\d))/g,
    (all: string, what: string, braced: string | undefined) => {
      if (what === '$') return '$$';
      const group = braced ?? '0';
      if (!/^\d+$/.test(group)) return `$<${group}>`;
      const n = Number(group);
      if (n === 0) return '$&';
      // Two digits, so "${1}0" stays group 1 followed by "0".
      return n < 100 ? `$${String(n).padStart(2, '0')}` : all;
    },
  );
}
