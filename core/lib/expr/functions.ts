/**
 * The pure functions of the expression language. Each takes its evaluated arguments (a buffer
 * reused per call site, so a call allocates nothing) and returns null when an argument has the
 * wrong type or the result is not a finite number.
 */
import type { Value } from './ast.ts';

/** One built-in function: its arity bounds and implementation. */
export interface FnSpec {
  min: number;
  max: number;
  impl: (args: Value[]) => Value;
}

const finite = (x: number): Value => (Number.isFinite(x) ? x : null);

function num1(f: (x: number) => number): FnSpec {
  return { min: 1, max: 1, impl: (a) => (typeof a[0] === 'number' ? finite(f(a[0])) : null) };
}

function str1(f: (s: string) => Value): FnSpec {
  return { min: 1, max: 1, impl: (a) => (typeof a[0] === 'string' ? f(a[0]) : null) };
}

function str2(f: (s: string, t: string) => boolean): FnSpec {
  return {
    min: 2,
    max: 2,
    impl: (a) => typeof a[0] === 'string' && typeof a[1] === 'string' && f(a[0], a[1]),
  };
}

function extreme(pick: (x: number, y: number) => number): FnSpec {
  return {
    min: 1,
    max: Infinity,
    impl: (a) => {
      let r = a[0];
      if (typeof r !== 'number') return null;
      for (let i = 1; i < a.length; i++) {
        const v = a[i];
        if (typeof v !== 'number') return null;
        r = pick(r, v);
      }
      return r;
    },
  };
}

/** Rounds half away from zero, to `digits` decimals. */
function round(a: Value[]): Value {
  const x = a[0];
  const d = a.length > 1 ? a[1] : 0;
  if (typeof x !== 'number' || typeof d !== 'number' || !Number.isInteger(d)) return null;
  const p = 10 ** d;
  return finite((Math.sign(x) * Math.round(Math.abs(x) * p)) / p);
}

function toNumber(a: Value[]): Value {
  const v = a[0];
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') return finite(Number(v));
  return null;
}

function toString(a: Value[]): Value {
  const v = a[0];
  return v === null ? null : String(v);
}

function coalesce(a: Value[]): Value {
  for (const v of a) if (v !== null) return v;
  return null;
}

/** The built-in functions by name (`has` and `if` are compiled specially, see compile.ts). */
export const FUNCTIONS: Readonly<Record<string, FnSpec>> = Object.freeze({
  abs: num1(Math.abs),
  floor: num1(Math.floor),
  ceil: num1(Math.ceil),
  trunc: num1(Math.trunc),
  sqrt: num1(Math.sqrt),
  log: num1(Math.log),
  exp: num1(Math.exp),
  pow: {
    min: 2,
    max: 2,
    impl: (a) => (typeof a[0] === 'number' && typeof a[1] === 'number' ? finite(a[0] ** a[1]) : null),
  },
  round: { min: 1, max: 2, impl: round },
  min: extreme(Math.min),
  max: extreme(Math.max),
  len: str1((s) => s.length),
  lower: str1((s) => s.toLowerCase()),
  upper: str1((s) => s.toUpperCase()),
  contains: str2((s, t) => s.includes(t)),
  startsWith: str2((s, t) => s.startsWith(t)),
  endsWith: str2((s, t) => s.endsWith(t)),
  number: { min: 1, max: 1, impl: toNumber },
  string: { min: 1, max: 1, impl: toString },
  coalesce: { min: 1, max: Infinity, impl: coalesce },
});

/** Functions the compiler implements itself, with their arity. */
export const SPECIAL_FUNCTIONS: Readonly<Record<string, number>> = Object.freeze({ has: 1, if: 3 });
