/**
 * The schema-driven parts of docs/CONFIGURATION.md: the [agent] table and the keys every
 * [[inputs.*]], [[processors.*]] and [[outputs.*]] table may carry, generated from the zod schemas
 * in schema.ts. Each part sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`;
 * the prose around them is hand-written. `npm run docs` rewrites the file; a test checks that the
 * committed file equals the generated one.
 */
import type { z } from 'zod';
import { schemaTable } from '../plugin/doc.ts';
import { fleetAgentObject } from './fleet.ts';
import { agentObject, inputCommonSchema, outputCommonSchema, processorCommonSchema } from './schema.ts';

const PARTS: Record<string, z.ZodType> = {
  agent: agentObject,
  'agent.fleet': fleetAgentObject,
  inputs: inputCommonSchema,
  processors: processorCommonSchema,
  outputs: outputCommonSchema,
};

/**
 * Replaces each `<!-- generated:NAME -->` part of a doc with the table of its schema; `source`
 * names the file the schemas live in, `doc` the file (for errors).
 */
export function renderGenerated(
  text: string,
  parts: Record<string, z.ZodType>,
  source: string,
  doc: string,
): string {
  let out = text;
  for (const [name, schema] of Object.entries(parts)) {
    const open = `<!-- generated:${name} -->\n`;
    const close = `<!-- /generated:${name} -->`;
    const a = out.indexOf(open);
    const b = out.indexOf(close, a);
    if (a === -1 || b === -1) throw new Error(`${doc}: missing ${open.trim()} ... ${close}`);
    const body = `\n_Generated from \`${source}\` by \`npm run docs\`._\n\n${schemaTable(schema)}\n\n`;
    out = out.slice(0, a + open.length) + body + out.slice(b);
  }
  return out;
}

/** The file with every generated part replaced by what the schemas say now. */
export function renderConfigurationDoc(text: string): string {
  return renderGenerated(text, PARTS, 'core/config/schema.ts', 'docs/CONFIGURATION.md');
}
