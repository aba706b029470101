/**
 * The repository stands alone: a clone with nothing beside it runs, tests and documents VIVA. CI
 * lays the project's shared directory beside its clone, so a reference to it would pass there and
 * break every other clone; this test catches one in any tracked file.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = import.meta.dirname;
// Two dots, a slash or backslash, then shared; or the path.join form with '..' and 'shared' as arguments.
const SHARED = /\.\.[\\/]+shared\b|['"]\.\.['"]\s*,\s*['"]shared['"]/;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && !f.startsWith('node_modules/'))
    .filter((f) => fs.statSync(path.join(root, f), { throwIfNoEntry: false })?.isFile() === true);
}

describe('repository', () => {
  it('should refer to no directory beside the clone (the shared one) in any tracked file', () => {
    const hits: string[] = [];
    for (const f of trackedFiles()) {
      fs.readFileSync(path.join(root, f), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (SHARED.test(line)) hits.push(`${f}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(hits).toEqual([]);
  });

  it('should hold the NAB subset the replay test and the evaluation read, with its MIT licence', () => {
    const files = trackedFiles().filter((f) => f.startsWith('test/data/nab/'));
    expect(files).toContain('test/data/nab/LICENSE.txt');
    expect(files).toContain('test/data/nab/combined_windows.json');
    expect(files.filter((f) => /^test\/data\/nab\/data\/[^/]+\/[^/]+\.csv$/.test(f))).toHaveLength(25);
    expect(fs.readFileSync(path.join(root, 'test/data/nab/LICENSE.txt'), 'utf8')).toContain('MIT');
  });

  it('should find a reference to the shared directory when there is one', () => {
    const dotdot = '..';
    for (const line of [`see ${dotdot}/shared/DESIGN.md`, `path.resolve(root, '${dotdot}', 'shared')`]) {
      expect(SHARED.test(line), line).toBe(true);
    }
    expect(SHARED.test('a shared buffer')).toBe(false);
  });
});
