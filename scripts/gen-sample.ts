/**
 * Writes sample.toml of every plugin definition exported by the given plugin index modules,
 * generated from the schema (the compliance test checks they stay identical):
 *   node scripts/gen-sample.ts plugins/processors/rename/index.ts [...]
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sampleToml } from '../core/plugin/doc.ts';
import type { AnyDefinition } from '../core/plugin/types.ts';

for (const file of process.argv.slice(2)) {
  const mod = (await import(pathToFileURL(path.resolve(file)).href)) as Record<string, unknown>;
  for (const v of Object.values(mod)) {
    const def = v as AnyDefinition;
    if (typeof def !== 'object' || def === null || !('kind' in def) || !('config' in def)) continue;
    const out = path.join(path.dirname(file), 'sample.toml');
    fs.writeFileSync(out, sampleToml(def));
    console.log(`wrote ${out}`);
  }
}
