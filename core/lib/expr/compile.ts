/**
 * Compiles the syntax tree into a tree of closures, built once; evaluating a metric walks it
 * without allocating. Constant subtrees are folded at compile time. Semantics: a missing tag or
 * field is null; arithmetic with null (or a wrong type, or a non-finite result) is null; every
 * comparison with null is false, `!=` included — test presence with has().
 */
import { Metric } from '../../model/metric/metric.ts';
import type { BinaryOp, Node, Value } from './ast.ts';
import { FUNCTIONS } from './functions.ts';

/** Evaluates one compiled node against a metric. */
export type Evaluator = (m: Metric) => Value;

/** Truthiness for `&&`, `||`, `!` and filters: null, false, 0, NaN and "" are false. */
export function truthy(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return v !== '';
  return false;
}

const finite = (x: number): Value => (Number.isFinite(x) ? x : null);

// typeof checks, not `undefined`, so inherited members such as `constructor` read as missing.
function tagValue(m: Metric, key: string): Value {
  const v = m.tags[key];
  return typeof v === 'string' ? v : null;
}

function fieldValue(m: Metric, key: string): Value {
  const v = m.fields[key];
  switch (typeof v) {
    case 'number':
    case 'string':
    case 'boolean':
      return v;
    case 'bigint':
      return Number(v);
    default:
      return null;
  }
}

function equal(a: Value, b: Value): boolean {
  return a !== null && b !== null && a === b;
}

function ordered(op: '<' | '<=' | '>' | '>=', a: Value, b: Value): boolean {
  if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string')))
    return false;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

function plus(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return finite(a + b);
  if (a === null || b === null) return null;
  return typeof a === 'string' || typeof b === 'string' ? String(a) + String(b) : null;
}

function arith(op: '-' | '*' | '/' | '%', a: Value, b: Value): Value {
  if (typeof a !== 'number' || typeof b !== 'number') return null;
  switch (op) {
    case '-':
      return finite(a - b);
    case '*':
      return finite(a * b);
    case '/':
      return finite(a / b);
    default:
      return finite(a % b);
  }
}

function binary(op: BinaryOp, l: Evaluator, r: Evaluator): Evaluator {
  switch (op) {
    case '&&':
      return (m) => truthy(l(m)) && truthy(r(m));
    case '||':
      return (m) => truthy(l(m)) || truthy(r(m));
    case '==':
      return (m) => equal(l(m), r(m));
    case '!=':
      return (m) => {
        const a = l(m);
        const b = r(m);
        return a !== null && b !== null && a !== b;
      };
    case '<':
    case '<=':
    case '>':
    case '>=':
      return (m) => ordered(op, l(m), r(m));
    case '+':
      return (m) => plus(l(m), r(m));
    default:
      return (m) => arith(op, l(m), r(m));
  }
}

function membership(left: Evaluator, items: Evaluator[], constants: Value[] | null): Evaluator {
  if (constants !== null) {
    const set = new Set(constants);
    return (m) => {
      const v = left(m);
      return v !== null && set.has(v);
    };
  }
  return (m) => {
    const v = left(m);
    if (v === null) return false;
    for (const item of items) if (item(m) === v) return true;
    return false;
  };
}

function call(fn: string, args: Node[], compiled: Evaluator[]): Evaluator {
  if (fn === 'has') {
    const ref = args[0] as { type: 'tag' | 'field'; key: string };
    const key = ref.key;
    return ref.type === 'tag' ? (m) => tagValue(m, key) !== null : (m) => fieldValue(m, key) !== null;
  }
  if (fn === 'if') {
    const [c, a, b] = compiled;
    return (m) => (truthy(c(m)) ? a(m) : b(m));
  }
  const impl = FUNCTIONS[fn].impl;
  // One argument buffer per call site: evaluation is synchronous and a call site never re-enters itself.
  const buf: Value[] = new Array<Value>(compiled.length).fill(null);
  const n = compiled.length;
  return (m) => {
    for (let i = 0; i < n; i++) buf[i] = compiled[i](m);
    return impl(buf);
  };
}

interface Compiled {
  ev: Evaluator;
  constant: boolean;
}

const FOLD_METRIC = new Metric('', {}, {}, 0);

function fold(ev: Evaluator, constant: boolean): Compiled {
  if (!constant) return { ev, constant };
  const v = ev(FOLD_METRIC);
  return { ev: () => v, constant: true };
}

function compileNode(n: Node): Compiled {
  switch (n.type) {
    case 'literal': {
      const v = n.value;
      return { ev: () => v, constant: true };
    }
    case 'name':
      return { ev: (m) => m.name, constant: false };
    case 'time':
      return { ev: (m) => m.timeMs, constant: false };
    case 'tag': {
      const key = n.key;
      return { ev: (m) => tagValue(m, key), constant: false };
    }
    case 'field': {
      const key = n.key;
      return { ev: (m) => fieldValue(m, key), constant: false };
    }
    case 'unary': {
      const o = compileNode(n.operand);
      const f = o.ev;
      const ev: Evaluator =
        n.op === '!'
          ? (m) => !truthy(f(m))
          : (m) => {
              const v = f(m);
              return typeof v === 'number' ? -v : null;
            };
      return fold(ev, o.constant);
    }
    case 'binary': {
      const l = compileNode(n.left);
      const r = compileNode(n.right);
      return fold(binary(n.op, l.ev, r.ev), l.constant && r.constant);
    }
    case 'in': {
      const l = compileNode(n.left);
      const items = n.items.map(compileNode);
      const allConstant = items.every((i) => i.constant);
      const ev = membership(
        l.ev,
        items.map((i) => i.ev),
        allConstant ? items.map((i) => i.ev(FOLD_METRIC)) : null,
      );
      return fold(ev, l.constant && allConstant);
    }
    case 'match': {
      const l = compileNode(n.left);
      const f = l.ev;
      const re = n.pattern;
      const ev: Evaluator = n.negate
        ? (m) => {
            const v = f(m);
            return typeof v === 'string' && !re.test(v);
          }
        : (m) => {
            const v = f(m);
            return typeof v === 'string' && re.test(v);
          };
      return fold(ev, l.constant);
    }
    case 'call': {
      const args = n.args.map(compileNode);
      const ev = call(
        n.fn,
        n.args,
        args.map((a) => a.ev),
      );
      return fold(ev, n.fn !== 'has' && args.every((a) => a.constant));
    }
  }
}

/** Compiles a syntax tree into an evaluator. */
export function compileTree(root: Node): Evaluator {
  return compileNode(root).ev;
}
