/**
 * Test helper for host inputs: a fake proc or sys tree in a temp dir, pointed at with the
 * plugin's `host_proc` / `host_sys` option.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Writes files (relative path to content) into a new temp dir and returns the dir. */
export function fakeTree(files: Record<string, string | Buffer>, dir?: string): string {
  const root = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'viva-host-'));
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return root;
}
