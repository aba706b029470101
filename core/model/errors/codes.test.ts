import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from './codes.ts';

const root = path.join(import.meta.dirname, '..', '..', '..');

/** Source files of the agent (not tests), where an error code is raised or logged. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') out.push(...sources(p));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && e.name !== 'testing.ts') out.push(p);
  }
  return out;
}

describe('error codes', () => {
  const docs = fs.readFileSync(path.join(root, 'docs', 'ERRORS.md'), 'utf8');
  const code = sources(path.join(root, 'core'))
    .concat(
      sources(path.join(root, 'plugins')),
      sources(path.join(root, 'bin')),
      sources(path.join(root, 'collector')),
    )
    .filter((f) => f !== path.join(import.meta.dirname, 'codes.ts'))
    .map((f) => fs.readFileSync(f, 'utf8'))
    .join('\n');

  for (const [name, value] of Object.entries(ErrorCode)) {
    it(`should document ${value} in docs/ERRORS.md and use it outside codes.ts`, () => {
      expect(docs).toContain(`| \`${value}\` |`);
      expect(code.includes(`ErrorCode.${name}`) || code.includes(value)).toBe(true);
    });
  }

  it('should document no code that codes.ts does not define', () => {
    const documented = [...docs.matchAll(/`(VIVA_ERR_[A-Z_]+)`/g)].map((m) => m[1]);
    expect(documented.filter((c) => !Object.values<string>(ErrorCode).includes(c))).toEqual([]);
  });
});
