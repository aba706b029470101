/**
 * JSON.parse, safe from a V8 defect in Node 24.21's JSON parser: once any JSON.parse in the
 * process has read an object key that is one backslash (`"\\"` or `"\u005c"`), every later key
 * written as one escape sequence (`"\""`, `"\n"`, `"\u00e9"`, ...) reads as a backslash too.
 * Values are not affected. So a text holding a key of one escape sequence is parsed with each such
 * key swapped for a longer placeholder, and the keys are put back afterwards.
 */

/** A key of exactly one escape sequence, followed by its colon (may also match inside a string). */
const ONE_ESCAPE_KEY = /"\\(?:u[0-9a-fA-F]{4}|[^u])"\s*:/;

/** A JSON.parse reviver, with the source text of primitives (Node >= 21). */
type Reviver = (this: object, key: string, value: unknown, ctx?: { source?: string }) => unknown;

/** JSON.parse(text, reviver), with keys of one escape sequence read right (see above). */
export function parseJsonText(text: string, reviver?: Reviver): unknown {
  if (!ONE_ESCAPE_KEY.test(text)) return reviver === undefined ? JSON.parse(text) : JSON.parse(text, reviver);
  try {
    return parseSwapped(text, reviver);
  } catch {
    // Invalid JSON: let JSON.parse say where, in the text as it was given.
    return JSON.parse(text);
  }
}

function parseSwapped(text: string, reviver?: Reviver): unknown {
  const keys: string[] = [];
  let prefix = `viva-swapped-key-${Math.random().toString(36).slice(2)}-`;
  while (text.includes(prefix)) prefix += '-';
  const swapped = swapKeys(text, (raw) => {
    keys.push(JSON.parse(`"${raw}"`) as string);
    return JSON.stringify(prefix + String(keys.length - 1));
  });
  const wrapped =
    reviver === undefined
      ? undefined
      : function (this: object, key: string, value: unknown, ctx?: { source?: string }): unknown {
          return reviver.call(this, restore(key, prefix, keys), value, ctx);
        };
  return restoreKeys(
    wrapped === undefined ? JSON.parse(swapped) : JSON.parse(swapped, wrapped),
    prefix,
    keys,
  );
}

/** The text with every object key of one escape sequence replaced by `replace(raw)`. */
function swapKeys(text: string, replace: (raw: string) => string): string {
  let out = '';
  let copied = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 34) continue;
    let end = i + 1;
    while (end < text.length && text.charCodeAt(end) !== 34) end += text.charCodeAt(end) === 92 ? 2 : 1;
    const raw = text.slice(i + 1, end);
    if (raw.charCodeAt(0) === 92 && (raw.length === 2 || (raw.length === 6 && raw[1] === 'u'))) {
      let j = end + 1;
      while (j < text.length && (text[j] === ' ' || text[j] === '\t' || text[j] === '\n' || text[j] === '\r'))
        j++;
      if (text[j] === ':') {
        out += text.slice(copied, i) + replace(raw);
        copied = end + 1;
      }
    }
    i = end;
  }
  return out + text.slice(copied);
}

function restore(key: string, prefix: string, keys: readonly string[]): string {
  return key.startsWith(prefix) ? keys[Number(key.slice(prefix.length))] : key;
}

/** Puts the swapped keys back, in place of their placeholders and in the same order. */
function restoreKeys(value: unknown, prefix: string, keys: readonly string[]): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restoreKeys(value[i], prefix, keys);
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  let swapped = false;
  for (const k of Object.keys(obj)) {
    obj[k] = restoreKeys(obj[k], prefix, keys);
    if (k.startsWith(prefix)) swapped = true;
  }
  if (!swapped) return obj;
  // Rebuilt in place (callers may hold the object, as a reviver's WeakMap does), order kept.
  const entries = Object.keys(obj).map((k) => [k, obj[k]] as const);
  for (const [k] of entries) delete obj[k];
  for (const [k, v] of entries)
    Object.defineProperty(obj, restore(k, prefix, keys), {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return obj;
}
