import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import { compileExpression, ExprError, exprSchema } from './index.ts';

function metric(): Metric {
  const m = new Metric(
    'cpu',
    { host: 'web1', dc: 'eu-west', 'with space': 'yes' },
    { usage: 42.5, msg: 'disk full' },
    1_700_000_000_123,
  );
  m.setInt('count', 7);
  m.setInt('big', 2n ** 60n);
  m.setField('up', true);
  return m;
}

const ev = (src: string, m: Metric = metric()): unknown => compileExpression(src).eval(m);

function errorOf(src: string): ExprError {
  try {
    compileExpression(src);
  } catch (e) {
    if (e instanceof ExprError) return e;
    throw e;
  }
  throw new Error(`expected ${src} to fail`);
}

describe('expression language', () => {
  describe('operator precedence', () => {
    it('should multiply before adding and honour parentheses', () => {
      expect(ev('1 + 2 * 3')).toBe(7);
      expect(ev('(1 + 2) * 3')).toBe(9);
      expect(ev('10 - 4 - 3')).toBe(3);
      expect(ev('2 * 9 % 4')).toBe(2);
      expect(ev('-2 * 3')).toBe(-6);
    });

    it('should bind comparison tighter than equality, equality tighter than && and && tighter than ||', () => {
      expect(ev('1 < 2 == true')).toBe(true);
      expect(ev('true || false && false')).toBe(true);
      expect(ev('(true || false) && false')).toBe(false);
      expect(ev('fields.count + 1 > 7 && tags.host == "web1"')).toBe(true);
    });

    it('should apply ! to its operand only', () => {
      expect(ev('!false && false')).toBe(false);
      expect(ev('!(false && false)')).toBe(true);
    });
  });

  describe('references', () => {
    it('should read name, time in milliseconds, tags and fields including keys with spaces', () => {
      expect(ev('name')).toBe('cpu');
      expect(ev('time')).toBe(1_700_000_000_123);
      expect(ev('tags.host')).toBe('web1');
      expect(ev('tags["with space"]')).toBe('yes');
      expect(ev("fields['usage']")).toBe(42.5);
      expect(ev('fields.count * 2')).toBe(14);
      expect(ev('fields.up')).toBe(true);
    });

    it('should read a bigint integer field as a number', () => {
      expect(ev('fields.big > 1000')).toBe(true);
    });
  });

  describe('null semantics', () => {
    it('should evaluate a missing tag or field to null and arithmetic on it to null', () => {
      expect(ev('tags.nope')).toBe(null);
      expect(ev('fields.nope * 2 + 1')).toBe(null);
      expect(ev('abs(fields.nope)')).toBe(null);
    });

    it('should make every comparison with null false, != included', () => {
      for (const src of [
        'tags.nope == "x"',
        'tags.nope != "x"',
        'fields.nope < 1',
        'fields.nope >= 1',
        'tags.nope in ["x"]',
        'tags.nope =~ "."',
        'tags.nope !~ "."',
      ])
        expect(ev(src), src).toBe(false);
      expect(ev('!(tags.nope == "x")')).toBe(true);
    });

    it('should test presence with has()', () => {
      expect(ev('has(tags.host) && !has(fields.nope)')).toBe(true);
    });

    it('should give null for division by zero and other non-finite results', () => {
      expect(ev('1 / 0')).toBe(null);
      expect(ev('5 % 0')).toBe(null);
      expect(ev('sqrt(-1)')).toBe(null);
      expect(ev('log(0)')).toBe(null);
    });

    it('should supply a fallback with coalesce()', () => {
      expect(ev('coalesce(fields.nope, fields.count, 0)')).toBe(7);
    });
  });

  describe('types', () => {
    it('should compare strictly by type: a number never equals a string', () => {
      expect(ev('fields.count == 7')).toBe(true);
      expect(ev('fields.count == "7"')).toBe(false);
      expect(ev('fields.count != "7"')).toBe(true);
      expect(ev('"b" > "a"')).toBe(true);
      expect(ev('"b" > 1')).toBe(false);
    });

    it('should concatenate with + when one side is a string', () => {
      expect(ev('tags.host + ":" + fields.count')).toBe('web1:7');
    });

    it('should decode escapes in single- and double-quoted strings', () => {
      expect(ev('"a\\"b"')).toBe('a"b');
      expect(ev("'it\\'s'")).toBe("it's");
      expect(ev('"tab\\there"')).toBe('tab\there');
    });
  });

  describe('membership and regex match', () => {
    it('should test membership in a list of literals or expressions', () => {
      expect(ev('tags.host in ["web1", "web2"]')).toBe(true);
      expect(ev('fields.count in [1, 2]')).toBe(false);
      expect(ev('fields.count in [fields.count + 0]')).toBe(true);
      expect(ev('1 in []')).toBe(false);
    });

    it('should match regexes, with a Go-style (?i) prefix for case-insensitivity', () => {
      expect(ev('tags.dc =~ "^eu-"')).toBe(true);
      expect(ev('tags.dc !~ "^eu-"')).toBe(false);
      expect(ev('fields.msg =~ "(?i)DISK"')).toBe(true);
      expect(ev('fields.count =~ "7"')).toBe(false);
    });
  });

  describe('functions', () => {
    it('should compute the numeric functions', () => {
      expect(ev('abs(-3) + floor(2.7) + ceil(2.1) + trunc(-2.7)')).toBe(6);
      expect(ev('min(3, fields.count, 9)')).toBe(3);
      expect(ev('max(3, fields.count, 9)')).toBe(9);
      expect(ev('round(2.5)')).toBe(3);
      expect(ev('round(-2.5)')).toBe(-3);
      expect(ev('round(3.14159, 2)')).toBe(3.14);
      expect(ev('sqrt(16)')).toBe(4);
      expect(ev('exp(0)')).toBe(1);
      expect(ev('pow(2, 10)')).toBe(1024);
      expect(ev('number("12.5") + 1')).toBe(13.5);
      expect(ev('number("x")')).toBe(null);
      expect(ev('string(fields.count)')).toBe('7');
    });

    it('should compute the string functions', () => {
      expect(ev('len(tags.host)')).toBe(4);
      expect(ev('upper(tags.host) + lower("AB")')).toBe('WEB1ab');
      expect(
        ev('contains(fields.msg, "full") && startsWith(tags.dc, "eu") && endsWith(tags.dc, "west")'),
      ).toBe(true);
      expect(ev('contains(fields.nope, "x")')).toBe(false);
    });

    it('should pick a branch with if()', () => {
      expect(ev('if(fields.usage > 40, "high", "low")')).toBe('high');
      expect(ev('if(fields.nope > 40, "high", "low")')).toBe('low');
    });
  });

  describe('errors', () => {
    it('should report the column of a dangling operator', () => {
      const e = errorOf('fields.a +');
      expect(e.column).toBe(11);
      expect(e.message).toBe('column 11: unexpected end of expression');
    });

    it('should report an unknown name, function, or wrong arity at its column', () => {
      expect(errorOf('1 + foo').message).toMatch(/^column 5: unknown name "foo"/);
      expect(errorOf('frob(1)').message).toMatch(/^column 1: unknown function "frob"/);
      expect(errorOf('2 * abs(1, 2)').message).toBe('column 5: abs() takes 1 argument, got 2');
      expect(errorOf('has(1)').message).toBe('column 1: has() takes a tags.KEY or fields.KEY reference');
    });

    it('should report unbalanced parentheses, stray tokens and bad strings', () => {
      expect(errorOf('(1 + 2').message).toBe('column 7: expected ")" but found end of expression');
      expect(errorOf('1 2').message).toBe('column 3: unexpected "2"');
      expect(errorOf('"abc').message).toBe('column 1: unterminated string');
      expect(errorOf('tags.').column).toBe(6);
      expect(errorOf('a # b').message).toBe('column 3: unexpected character "#"');
      expect(errorOf('1 $ 2').message).toBe('column 3: unexpected character "$"');
      expect(errorOf('').message).toBe('column 1: empty expression');
    });

    it('should reject an invalid regex literal at compile time', () => {
      expect(errorOf('name =~ "("').message).toMatch(/^column 9: invalid regular expression/);
      expect(errorOf('name =~ tags.x').message).toMatch(/^column 9: "=~" needs a string literal pattern/);
    });

    it('should give the line and column for a multi-line expression', () => {
      const e = errorOf('fields.a > 1 &&\n  fields.b <');
      expect(e.line).toBe(2);
      expect(e.message).toBe('line 2, column 13: unexpected end of expression');
    });

    it('should fail zod validation with the position through exprSchema', () => {
      expect(exprSchema.safeParse('fields.a > 1').success).toBe(true);
      const r = exprSchema.safeParse('fields.a >');
      expect(r.success).toBe(false);
      expect(r.error?.issues[0].message).toBe(
        'invalid expression "fields.a >": column 11: unexpected end of expression',
      );
    });
  });

  describe('safety', () => {
    it('should not reach globals, constructors or the process', () => {
      for (const src of [
        'process',
        'globalThis',
        'constructor',
        'tags.constructor.constructor("x")',
        'eval("1")',
        'require("fs")',
      ])
        expect(() => compileExpression(src), src).toThrow(ExprError);
      expect(ev('tags.constructor')).toBe(null);
      expect(ev('fields.__proto__')).toBe(null);
      expect(ev('has(tags.toString)')).toBe(false);
    });
  });
});
