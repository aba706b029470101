/**
 * The tokenizer of the expression language: numbers, quoted strings, identifiers and operators,
 * each with its source offset for error messages.
 */
import { ExprError } from './errors.ts';

/** The kinds of token. */
export type TokenKind = 'number' | 'string' | 'ident' | 'op' | 'eof';

/** One token; `value` is the decoded string or number. */
export interface Token {
  kind: TokenKind;
  /** Operator or identifier text, or the decoded string literal. */
  text: string;
  /** Value of a number literal. */
  num: number;
  offset: number;
}

// Longest first, so `<=` wins over `<`.
const OPERATORS = [
  '&&',
  '||',
  '==',
  '!=',
  '<=',
  '>=',
  '=~',
  '!~',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '!',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
];
const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '0': '\0',
};
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

function readString(src: string, start: number): [string, number] {
  const quote = src[start];
  let out = '';
  let i = start + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === quote) return [out, i + 1];
    if (c === '\\') {
      const e = ESCAPES[src[i + 1]];
      if (e === undefined) throw new ExprError(src, i, `unknown escape "\\${src[i + 1] ?? ''}" in string`);
      out += e;
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  throw new ExprError(src, start, 'unterminated string');
}

/** Splits an expression into tokens, ending with one `eof` token. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1]))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(src);
      if (m === null) throw new ExprError(src, i, 'malformed number');
      tokens.push({ kind: 'number', text: m[0], num: Number(m[0]), offset: i });
      i += m[0].length;
      if (/[A-Za-z_]/.test(src[i] ?? '')) throw new ExprError(src, i, `unexpected "${src[i]}" after number`);
      continue;
    }
    if (c === "'" || c === '"') {
      const [text, end] = readString(src, i);
      tokens.push({ kind: 'string', text, num: 0, offset: i });
      i = end;
      continue;
    }
    IDENT.lastIndex = i;
    const id = IDENT.exec(src);
    if (id !== null) {
      tokens.push({ kind: 'ident', text: id[0], num: 0, offset: i });
      i += id[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op === undefined) throw new ExprError(src, i, `unexpected character "${c}"`);
    tokens.push({ kind: 'op', text: op, num: 0, offset: i });
    i += op.length;
  }
  tokens.push({ kind: 'eof', text: '', num: 0, offset: src.length });
  return tokens;
}
