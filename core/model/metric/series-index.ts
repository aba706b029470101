/**
 * A map from series (measurement name plus tags) to per-series state, without building a series
 * key string per metric: a trie walked by the name, then each tag key and value in key order.
 * The strings walked already exist on the metric (and cache their hashes), so a lookup is a few
 * Map hits and no allocation; a series key string costs a concatenation, a flatten and a hash.
 *
 * Tags are visited in sorted key order; tags inserted in sorted order (as parsers and most
 * producers do) are walked directly, others are sorted first (slower, same result).
 * With `keys` (group by), only those tags are walked, in the given order; a missing tag is a
 * distinct value.
 */
import type { Tags } from './metric.ts';

interface Node<T> {
  value: T | undefined;
  /** The first tag key seen below this node and its values: most series share their tag keys. */
  key: string | null;
  byValue: Map<string, Node<T>> | null;
  /** Values of any other tag keys below this node. */
  more: Map<string, Map<string, Node<T>>> | null;
}

/** Walked for a tag that the metric does not have. */
const MISSING = '\u0000';

export class SeriesIndex<T> {
  private readonly roots = new Map<string, Node<T>>();
  /** Series holding a value. */
  size = 0;

  /** The value of a series, or undefined. */
  get(name: string, tags: Tags, keys: readonly string[] | null = null): T | undefined {
    return this.node(name, tags, keys, false)?.value;
  }

  /** Sets the value of a series. */
  set(name: string, tags: Tags, keys: readonly string[] | null, value: T): void {
    const n = this.node(name, tags, keys, true) as Node<T>;
    if (n.value === undefined) this.size++;
    n.value = value;
  }

  /** Removes a series (its now empty branches too). */
  delete(name: string, tags: Tags, keys: readonly string[] | null = null): void {
    const root = this.roots.get(name);
    if (root === undefined) return;
    const path = keys ?? sortedKeys(tags);
    if (this.remove(root, tags, path, 0)) this.roots.delete(name);
  }

  /** Removes every series. */
  clear(): void {
    this.roots.clear();
    this.size = 0;
  }

  /** Every value. */
  *values(): IterableIterator<T> {
    const stack = [...this.roots.values()];
    while (stack.length > 0) {
      const n = stack.pop() as Node<T>;
      if (n.value !== undefined) yield n.value;
      if (n.byValue !== null) for (const c of n.byValue.values()) stack.push(c);
      if (n.more !== null)
        for (const byValue of n.more.values()) for (const c of byValue.values()) stack.push(c);
    }
  }

  private node(
    name: string,
    tags: Tags,
    keys: readonly string[] | null,
    create: boolean,
  ): Node<T> | undefined {
    let n = this.roots.get(name);
    if (n === undefined) {
      if (!create) return undefined;
      n = leaf();
      this.roots.set(name, n);
    }
    if (keys !== null) {
      for (let i = 0; i < keys.length && n !== undefined; i++)
        n = step(n, keys[i], tags[keys[i]] ?? MISSING, create);
      return n;
    }
    // Out of order (or integer-like keys, which objects enumerate first): walk sorted instead.
    // Checked before creating anything, so no stray branch is left behind.
    if (create && !inOrder(tags)) return this.node(name, tags, sortedKeys(tags), create);
    let prev = '';
    for (const k in tags) {
      if (k < prev) return this.node(name, tags, sortedKeys(tags), create);
      prev = k;
      n = step(n, k, tags[k], create);
      // A miss may come from an out-of-order key further on: look again in sorted order.
      if (n === undefined) return inOrder(tags) ? undefined : this.node(name, tags, sortedKeys(tags), create);
    }
    return n;
  }

  /** Removes the value under `n` along `path`; true when `n` is left empty. */
  private remove(n: Node<T>, tags: Tags, path: readonly string[], i: number): boolean {
    if (i === path.length) {
      if (n.value !== undefined) this.size--;
      n.value = undefined;
    } else {
      const k = path[i];
      const v = tags[k] ?? MISSING;
      const byValue = n.key === k ? n.byValue : (n.more?.get(k) ?? null);
      const child = byValue?.get(v);
      if (byValue === null || child === undefined) return false;
      if (this.remove(child, tags, path, i + 1)) {
        byValue.delete(v);
        if (byValue.size === 0) {
          if (n.key === k) {
            n.key = null;
            n.byValue = null;
          } else {
            n.more?.delete(k);
            if (n.more?.size === 0) n.more = null;
          }
        }
      }
    }
    return n.value === undefined && n.byValue === null && n.more === null;
  }
}

function leaf<T>(): Node<T> {
  return { value: undefined, key: null, byValue: null, more: null };
}

function step<T>(n: Node<T>, k: string, v: string, create: boolean): Node<T> | undefined {
  let byValue = n.key === k ? n.byValue : (n.more?.get(k) ?? null);
  if (byValue === null) {
    if (!create) return undefined;
    byValue = new Map();
    if (n.key === null) {
      n.key = k;
      n.byValue = byValue;
    } else (n.more ??= new Map()).set(k, byValue);
  }
  let c = byValue.get(v);
  if (c === undefined && create) {
    c = leaf();
    byValue.set(v, c);
  }
  return c;
}

function inOrder(tags: Tags): boolean {
  let prev = '';
  for (const k in tags) {
    if (k < prev) return false;
    prev = k;
  }
  return true;
}

function sortedKeys(tags: Tags): string[] {
  return Object.keys(tags).sort();
}

/**
 * A map from field name to per-field state that holds its first entry inline: most series carry
 * one or a few fields, and one Map per series and window is memory and garbage on the hot path.
 */
export class FieldMap<V> {
  private k0: string | null = null;
  private v0: V | undefined = undefined;
  private more: Map<string, V> | null = null;

  get(k: string): V | undefined {
    return this.k0 === k ? this.v0 : this.more?.get(k);
  }

  set(k: string, v: V): void {
    if (this.k0 === null || this.k0 === k) {
      this.k0 = k;
      this.v0 = v;
    } else (this.more ??= new Map()).set(k, v);
  }

  /** Every entry, the first one first. */
  *entries(): IterableIterator<[string, V]> {
    if (this.k0 !== null) yield [this.k0, this.v0 as V];
    if (this.more !== null) yield* this.more;
  }
}
