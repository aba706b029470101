/**
 * Regenerates the schema-driven parts of docs/CONFIGURATION.md (see core/config/docs.ts):
 *   npm run docs
 */
import fs from 'node:fs';
import path from 'node:path';
import { renderConfigurationDoc } from '../core/config/docs.ts';

const file = path.join(import.meta.dirname, '..', 'docs', 'CONFIGURATION.md');
const before = fs.readFileSync(file, 'utf8');
const after = renderConfigurationDoc(before);
if (after !== before) fs.writeFileSync(file, after);
console.log(after === before ? `${file} is up to date` : `wrote ${file}`);
