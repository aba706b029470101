/**
 * Errors of the expression language: every one names the position in the source it is about.
 */

/** A tokenizer, parser or compile error at a position of the expression source. */
export class ExprError extends Error {
  /** 0-based offset into the source. */
  readonly offset: number;
  /** 1-based line of the offset. */
  readonly line: number;
  /** 1-based column of the offset within its line. */
  readonly column: number;
  /** The message without the position prefix. */
  readonly reason: string;

  constructor(source: string, offset: number, reason: string) {
    const before = source.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - (before.lastIndexOf('\n') + 1) + 1;
    super(`${line > 1 ? `line ${line}, ` : ''}column ${column}: ${reason}`);
    this.name = 'ExprError';
    this.offset = offset;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}
