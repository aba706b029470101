import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigurationDoc } from './docs.ts';

const file = path.join(import.meta.dirname, '..', '..', 'docs', 'CONFIGURATION.md');

describe('docs/CONFIGURATION.md', () => {
  it('should equal what `npm run docs` generates from the schemas', () => {
    const committed = fs.readFileSync(file, 'utf8');
    expect(committed).toBe(renderConfigurationDoc(committed));
  });

  it('should document every [agent] key and every common key with its default', () => {
    const text = renderConfigurationDoc(fs.readFileSync(file, 'utf8'));
    for (const key of ['interval', 'shutdown_timeout', 'log_level', 'order', 'fieldinclude', 'when_full'])
      expect(text).toContain(`| \`${key}\` |`);
    expect(text).toContain('| `metric_batch_size` | number | `1000` |');
  });
});
