/**
 * Keeps secrets out of logs, errors and admin answers: the credentials of URLs, and values that
 * came from environment substitution.
 */

/** `scheme://user:password@` or `scheme://token@` anywhere in a text. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*)(:[^\s/?#@]*)?@/gi;

/**
 * Hides the credentials of every URL in `text`: `http://user:pw@host` becomes
 * `http://user:***@host`, and a lone user part (often a token) `http://***@host`. Use it on every
 * URL (or message that may hold one) before logging or serving it.
 */
export function redactUrl(text: string): string {
  if (!text.includes('@')) return text;
  return text.replace(URL_USERINFO, (_m, scheme: string, user: string, pass: string | undefined) =>
    pass === undefined ? `${scheme}***@` : `${scheme}${user}:***@`,
  );
}

/**
 * Replaces every occurrence of a substituted environment value in `text` by its reference
 * (`${NAME}`), longest values first, so a config error never quotes what a variable held.
 */
export function hideSubstituted(text: string, values: ReadonlyMap<string, string>): string {
  if (values.size === 0) return text;
  let out = text;
  for (const [value, ref] of [...values].sort((a, b) => b[0].length - a[0].length)) {
    // A value this short ("1", "on") would garble names and numbers everywhere: only quoted.
    if (value.length < 4) out = out.split(`"${value}"`).join(`"${ref}"`);
    else out = out.split(value).join(ref);
  }
  return out;
}
