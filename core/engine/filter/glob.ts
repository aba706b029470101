/**
 * Glob matching for filters: `*` any run, `?` one character, `[abc]` a class. Compiled once.
 */

/** A compiled set of globs; matches when any glob matches. */
export type GlobSet = (s: string) => boolean;

function escapeRegex(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? '\\' + c : c;
}

/** Compiles one glob to a RegExp source. */
function globSource(glob: string): string {
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) src += '\\[';
      else {
        let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        src += '[' + cls + ']';
        i = end;
      }
    } else src += escapeRegex(c);
  }
  return src;
}

/** Compiles globs into one matcher; exact strings use a Set lookup. */
export function compileGlobs(globs: readonly string[]): GlobSet {
  const exact = new Set<string>();
  const patterns: string[] = [];
  for (const g of globs) {
    if (/[*?[]/.test(g)) patterns.push(globSource(g));
    else exact.add(g);
  }
  if (patterns.length === 0) return (s) => exact.has(s);
  const re = new RegExp('^(?:' + patterns.join('|') + ')$', 's');
  if (exact.size === 0) return (s) => re.test(s);
  return (s) => exact.has(s) || re.test(s);
}
