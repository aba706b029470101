/**
 * `viva plugins list` and `viva plugins doc NAME` / `viva plugins sample NAME`, generated from
 * the registered schemas.
 */
import { optionTable, sampleToml } from '../../plugin/doc.ts';
import type { Registry } from '../../plugin/registry.ts';
import type { AnyDefinition, PluginKind } from '../../plugin/types.ts';
import { Exit, UsageError } from './args.ts';

const KINDS: PluginKind[] = ['input', 'processor', 'output'];

function find(registry: Registry, name: string): AnyDefinition[] {
  const [kindPart, namePart] = name.includes('.') ? name.split('.', 2) : [undefined, name];
  return KINDS.filter((k) => kindPart === undefined || `${k}s` === kindPart)
    .map((k) => registry.get(k, namePart) as AnyDefinition | undefined)
    .filter((d): d is AnyDefinition => d !== undefined);
}

export function pluginsCommand(argv: string[], registry: Registry): number {
  const [sub, name] = argv;
  if (sub === 'list' || sub === undefined) {
    for (const kind of KINDS) {
      console.log(`${kind}s:`);
      for (const d of registry.list(kind)) console.log(`  ${d.name.padEnd(24)} ${d.description}`);
    }
    return Exit.OK;
  }
  if ((sub === 'doc' || sub === 'sample') && name !== undefined) {
    const defs = find(registry, name);
    if (defs.length === 0) {
      console.error(`viva: no plugin named "${name}" (see: viva plugins list)`);
      return Exit.USAGE;
    }
    for (const d of defs) {
      if (sub === 'sample') process.stdout.write(sampleToml(d));
      else
        console.log(
          `# ${d.kind} ${d.name}\n\n${d.description}.\n\n${optionTable(d)}\n\n## Sample\n\n\`\`\`toml\n${sampleToml(d)}\`\`\`\n`,
        );
    }
    return Exit.OK;
  }
  throw new UsageError('usage: viva plugins list | viva plugins doc NAME | viva plugins sample NAME');
}
