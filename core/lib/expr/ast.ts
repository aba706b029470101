/**
 * The syntax tree of the expression language. Every node keeps its source offset so compile
 * errors point at the right column.
 */

/** A value an expression evaluates to; missing tags and fields are null. */
export type Value = number | string | boolean | null;

/** Binary operators of the syntax tree (`in`, `=~` and `!~` have their own nodes). */
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';

/** A node of the syntax tree. */
export type Node =
  | { type: 'literal'; value: number | string | boolean; offset: number }
  | { type: 'name'; offset: number }
  | { type: 'time'; offset: number }
  | { type: 'tag'; key: string; offset: number }
  | { type: 'field'; key: string; offset: number }
  | { type: 'unary'; op: '!' | '-'; operand: Node; offset: number }
  | { type: 'binary'; op: BinaryOp; left: Node; right: Node; offset: number }
  | { type: 'in'; left: Node; items: Node[]; offset: number }
  | { type: 'match'; negate: boolean; left: Node; pattern: RegExp; offset: number }
  | { type: 'call'; fn: string; args: Node[]; offset: number };
