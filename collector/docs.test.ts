import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCollectorDoc } from './docs.ts';

const file = path.join(import.meta.dirname, '..', 'docs', 'COLLECTOR.md');

describe('docs/COLLECTOR.md', () => {
  it('should equal what `npm run docs` generates from the collector schemas', () => {
    const committed = fs.readFileSync(file, 'utf8');
    expect(committed).toBe(renderCollectorDoc(committed));
  });

  it('should document every collector, route and destination key', () => {
    const text = renderCollectorDoc(fs.readFileSync(file, 'utf8'));
    for (const key of [
      'spool_fsync',
      'tokens',
      'max_body_size',
      'continue',
      'drop',
      'agents',
      'breaker',
      'start_at',
    ])
      expect(text).toContain(`| \`${key}\` |`);
  });
});
