/**
 * Regenerates the schema-driven parts of docs/CONFIGURATION.md (core/config/docs.ts) and
 * docs/COLLECTOR.md (collector/docs.ts):
 *   npm run docs
 */
import fs from 'node:fs';
import path from 'node:path';
import { renderConfigurationDoc } from '../core/config/docs.ts';
import { renderCollectorDoc } from '../collector/docs.ts';

const docs: [string, (text: string) => string][] = [
  ['CONFIGURATION.md', renderConfigurationDoc],
  ['COLLECTOR.md', renderCollectorDoc],
];
for (const [name, render] of docs) {
  const file = path.join(import.meta.dirname, '..', 'docs', name);
  const before = fs.readFileSync(file, 'utf8');
  const after = render(before);
  if (after !== before) fs.writeFileSync(file, after);
  console.log(after === before ? `${file} is up to date` : `wrote ${file}`);
}
