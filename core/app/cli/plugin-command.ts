/**
 * `viva plugin new input|processor|output NAME [--dir DIR]`: scaffolds a plugin folder.
 */
import path from 'node:path';
import { sectionOf } from '../../plugin/registry.ts';
import { nameProblem, scaffoldPlugin } from '../../plugin/scaffold.ts';
import type { PluginKind } from '../../plugin/types.ts';
import { Exit, parse, UsageError } from './args.ts';

const USAGE = 'usage: viva plugin new input|processor|output NAME [--dir DIR]';
const KINDS: readonly string[] = ['input', 'processor', 'output'];

export function pluginCommand(argv: string[]): number {
  const { values, positionals } = parse(argv, { dir: { type: 'string', short: 'd' } }, true);
  const [sub, kind, name, ...extra] = positionals;
  if (sub !== 'new' || kind === undefined || name === undefined || extra.length > 0)
    throw new UsageError(USAGE);
  if (!KINDS.includes(kind))
    throw new UsageError(`unknown plugin kind "${kind}" (input, processor or output)`);
  const problem = nameProblem(name);
  if (problem !== undefined) throw new UsageError(problem);
  const k = kind as PluginKind;
  const dir = values.dir ?? path.join('plugins', sectionOf(k));
  let result;
  try {
    result = scaffoldPlugin({ kind: k, name, dir });
  } catch (e) {
    console.error(`viva: ${e instanceof Error ? e.message : String(e)}`);
    return Exit.FAILURE;
  }
  const shown = path.relative(process.cwd(), result.folder) || '.';
  console.log(`created ${shown}/: ${result.files.join(', ')}`);
  console.log(`test it:  npx vitest run ${shown}`);
  if (result.inTree) {
    console.log(
      `register it: import its definition in plugins/${sectionOf(k)}/registry.ts and add it to the list`,
    );
  } else {
    const entry = path.join(result.folder, 'index.ts');
    console.log(`load it:  plugins = ["${entry}"]  (a path relative to the config file works too)`);
  }
  console.log(`configure it: [[${sectionOf(k)}.${name}]] (see ${shown}/sample.toml)`);
  return Exit.OK;
}
