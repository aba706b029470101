/**
 * Writes sample.toml of every plugin definition exported by the given plugin index modules,
 * generated from the schema, and refreshes the first ```toml block under "## Configuration" in
 * the plugin's README (the compliance test checks both stay identical to the schema):
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
    const sample = sampleToml(def);
    fs.writeFileSync(out, sample);
    console.log(`wrote ${out}`);
    const readme = path.join(path.dirname(file), 'README.md');
    if (!fs.existsSync(readme)) continue;
    const text = fs.readFileSync(readme, 'utf8');
    const at = text.indexOf('## Configuration');
    const open = at === -1 ? -1 : text.indexOf('```toml\n', at);
    const close = open === -1 ? -1 : text.indexOf('```', open + 8);
    if (close === -1) continue;
    fs.writeFileSync(readme, text.slice(0, open + 8) + sample + text.slice(close));
    console.log(`updated ${readme}`);
  }
}
