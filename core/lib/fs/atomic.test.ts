import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isTempName, tempNameOf, writeFileAtomic, writeFileAtomicAsync } from './atomic.ts';

let dir = '';
afterEach(() => {
  if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
});

describe('atomic file replacement', () => {
  it('should create the directory, replace the content whole and leave no temp file', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-atomic-'));
    const file = path.join(dir, 'state', 'x.json');
    writeFileAtomic(file, '{"a":1}');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}');
    await writeFileAtomicAsync(file, new TextEncoder().encode('{"a":2}'));
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":2}');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['x.json']);
  });

  it('should name temp files so a start can tell them from finished files', () => {
    const tmp = path.basename(tempNameOf('/d/2026-12-03T10.lp.gz'));
    expect(isTempName(tmp)).toBe(true);
    expect(isTempName('2026-12-03T10.lp.gz')).toBe(false);
    expect(isTempName('.hidden')).toBe(false);
  });
});
