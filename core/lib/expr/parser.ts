/**
 * A Pratt parser from tokens to the syntax tree. Precedence, loosest first:
 *   ||  ·  &&  ·  == != =~ !~  ·  < <= > >= in  ·  + -  ·  * / %  ·  unary ! -
 */
import type { BinaryOp, Node } from './ast.ts';
import { ExprError } from './errors.ts';
import { FUNCTIONS, SPECIAL_FUNCTIONS } from './functions.ts';
import { tokenize, type Token } from './tokenizer.ts';

const INFIX: Record<string, number> = {
  '||': 10,
  '&&': 20,
  '==': 30,
  '!=': 30,
  '=~': 30,
  '!~': 30,
  '<': 40,
  '<=': 40,
  '>': 40,
  '>=': 40,
  in: 40,
  '+': 50,
  '-': 50,
  '*': 60,
  '/': 60,
  '%': 60,
};
const PREFIX_BP = 70;

const describe = (t: Token): string =>
  t.kind === 'eof' ? 'end of expression' : t.kind === 'string' ? 'a string' : `"${t.text}"`;

/** Compiles a regex literal; a leading Go-style `(?i)` becomes the `i` flag. */
function regexOf(src: string, tok: Token): RegExp {
  const insensitive = tok.text.startsWith('(?i)');
  try {
    return new RegExp(insensitive ? tok.text.slice(4) : tok.text, insensitive ? 'i' : '');
  } catch (e) {
    const reason = (e as Error).message.replace(/^Invalid regular expression: /, '');
    throw new ExprError(src, tok.offset, `invalid regular expression ${reason}`);
  }
}

class Parser {
  private readonly src: string;
  private readonly tokens: Token[];
  private pos = 0;

  constructor(src: string) {
    this.src = src;
    this.tokens = tokenize(src);
  }

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private next(): Token {
    return this.tokens[this.pos++];
  }

  private fail(t: Token, message: string): never {
    throw new ExprError(this.src, t.offset, message);
  }

  private expectOp(op: string): Token {
    const t = this.next();
    if (t.kind !== 'op' || t.text !== op) this.fail(t, `expected "${op}" but found ${describe(t)}`);
    return t;
  }

  parseAll(): Node {
    if (this.peek().kind === 'eof') this.fail(this.peek(), 'empty expression');
    const node = this.expr(0);
    const t = this.peek();
    if (t.kind !== 'eof') this.fail(t, `unexpected ${describe(t)}`);
    return node;
  }

  private infixPower(t: Token): number {
    if (t.kind === 'op' || (t.kind === 'ident' && t.text === 'in')) return INFIX[t.text] ?? 0;
    return 0;
  }

  private expr(minBp: number): Node {
    let left = this.prefix();
    for (;;) {
      const t = this.peek();
      const bp = this.infixPower(t);
      if (bp <= minBp) return left;
      this.next();
      left = this.infix(t, left, bp);
    }
  }

  private infix(t: Token, left: Node, bp: number): Node {
    if (t.text === 'in') return { type: 'in', left, items: this.list(), offset: t.offset };
    if (t.text === '=~' || t.text === '!~') {
      const p = this.next();
      if (p.kind !== 'string') this.fail(p, `"${t.text}" needs a string literal pattern on its right`);
      return {
        type: 'match',
        negate: t.text === '!~',
        left,
        pattern: regexOf(this.src, p),
        offset: t.offset,
      };
    }
    const right = this.expr(bp);
    return { type: 'binary', op: t.text as BinaryOp, left, right, offset: t.offset };
  }

  private list(): Node[] {
    const open = this.peek();
    if (open.kind !== 'op' || open.text !== '[')
      this.fail(open, `"in" needs a list like [1, 2] but found ${describe(open)}`);
    this.next();
    const items: Node[] = [];
    if (this.peek().text === ']' && this.peek().kind === 'op') {
      this.next();
      return items;
    }
    for (;;) {
      items.push(this.expr(0));
      const t = this.next();
      if (t.kind === 'op' && t.text === ']') return items;
      if (t.kind !== 'op' || t.text !== ',') this.fail(t, `expected "," or "]" but found ${describe(t)}`);
    }
  }

  private prefix(): Node {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { type: 'literal', value: t.num, offset: t.offset };
      case 'string':
        return { type: 'literal', value: t.text, offset: t.offset };
      case 'ident':
        return this.identifier(t);
      case 'op':
        if (t.text === '(') {
          const inner = this.expr(0);
          this.expectOp(')');
          return inner;
        }
        if (t.text === '!' || t.text === '-') {
          return { type: 'unary', op: t.text, operand: this.expr(PREFIX_BP), offset: t.offset };
        }
        if (t.text === '[') this.fail(t, 'a list [...] is only allowed after "in"');
        return this.fail(t, `unexpected ${describe(t)}`);
      default:
        return this.fail(t, 'unexpected end of expression');
    }
  }

  private identifier(t: Token): Node {
    switch (t.text) {
      case 'true':
      case 'false':
        return { type: 'literal', value: t.text === 'true', offset: t.offset };
      case 'name':
        return { type: 'name', offset: t.offset };
      case 'time':
        return { type: 'time', offset: t.offset };
      case 'tags':
      case 'fields':
        return { type: t.text === 'tags' ? 'tag' : 'field', key: this.member(t), offset: t.offset };
    }
    const open = this.peek();
    if (open.kind === 'op' && open.text === '(') return this.call(t);
    return this.fail(t, `unknown name "${t.text}" (use name, time, tags.KEY, fields.KEY or a function call)`);
  }

  /** `.key` or `["key"]` after tags/fields. */
  private member(base: Token): string {
    const t = this.next();
    if (t.kind === 'op' && t.text === '.') {
      const key = this.next();
      if (key.kind !== 'ident')
        this.fail(key, `expected a key after "${base.text}." but found ${describe(key)}`);
      return key.text;
    }
    if (t.kind === 'op' && t.text === '[') {
      const key = this.next();
      if (key.kind !== 'string')
        this.fail(key, `expected a quoted key in ${base.text}[...] but found ${describe(key)}`);
      this.expectOp(']');
      return key.text;
    }
    return this.fail(t, `expected ${base.text}.KEY or ${base.text}["KEY"]`);
  }

  private call(fn: Token): Node {
    const spec = FUNCTIONS[fn.text];
    const special = SPECIAL_FUNCTIONS[fn.text];
    if (spec === undefined && special === undefined) {
      const known = [...Object.keys(FUNCTIONS), ...Object.keys(SPECIAL_FUNCTIONS)].sort().join(', ');
      this.fail(fn, `unknown function "${fn.text}" (known: ${known})`);
    }
    this.expectOp('(');
    const args: Node[] = [];
    if (!(this.peek().kind === 'op' && this.peek().text === ')')) {
      for (;;) {
        args.push(this.expr(0));
        const t = this.next();
        if (t.kind === 'op' && t.text === ')') break;
        if (t.kind !== 'op' || t.text !== ',') this.fail(t, `expected "," or ")" but found ${describe(t)}`);
      }
    } else this.next();
    const min = spec?.min ?? special;
    const max = spec?.max ?? special;
    if (args.length < min || args.length > max) {
      const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      const plural = !(min === 1 && (max === 1 || max === Infinity));
      this.fail(fn, `${fn.text}() takes ${want} argument${plural ? 's' : ''}, got ${args.length}`);
    }
    if (fn.text === 'has' && args[0].type !== 'tag' && args[0].type !== 'field')
      this.fail(fn, 'has() takes a tags.KEY or fields.KEY reference');
    return { type: 'call', fn: fn.text, args, offset: fn.offset };
  }
}

/** Parses an expression; throws ExprError with the column of the first problem. */
export function parse(src: string): Node {
  return new Parser(src).parseAll();
}
