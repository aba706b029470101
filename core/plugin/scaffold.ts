/**
 * `viva plugin new`: writes a plugin folder that type-checks and passes its own test as
 * generated: index.ts (the definition), NAME.ts (the logic), config.ts (the schema), a test,
 * sample.toml (from the schema) and README.md. Inside VIVA's plugins/ tree it imports the core by
 * relative paths like the built-in plugins; anywhere else it imports only `viva/sdk`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { sampleToml } from './doc.ts';
import type { AnyDefinition, PluginKind } from './types.ts';

/** VIVA's repository root (this file is core/plugin/scaffold.ts). */
const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** Where each symbol the templates use lives in the core (for plugins inside the repo). */
const CORE_MODULES: Record<string, string> = {
  z: 'zod',
  defineInput: 'plugin/define.ts',
  defineProcessor: 'plugin/define.ts',
  defineOutput: 'plugin/define.ts',
  Metric: 'metric/metric.ts',
  Accumulator: 'plugin/types.ts',
  InputInstance: 'plugin/types.ts',
  ProcessorInstance: 'plugin/types.ts',
  OutputInstance: 'plugin/types.ts',
  PluginContext: 'plugin/types.ts',
  gatherOnce: 'plugin/testing.ts',
  runProcessor: 'plugin/testing.ts',
  parseConfig: 'plugin/testing.ts',
  testContext: 'plugin/testing.ts',
};

export interface ScaffoldOptions {
  kind: PluginKind;
  /** snake_case plugin name; also the folder name. */
  name: string;
  /** Parent directory of the plugin folder. */
  dir: string;
  /** VIVA's repository root, to tell whether the folder is inside its plugins/ tree. */
  repoRoot?: string;
}

export interface ScaffoldResult {
  folder: string;
  files: string[];
  /** Whether the plugin imports the core by relative paths (inside VIVA's plugins/ tree). */
  inTree: boolean;
}

/** Why a plugin name cannot be used, or undefined. */
export function nameProblem(name: string): string | undefined {
  if (!NAME.test(name)) return `plugin name "${name}" must be snake_case (a-z, 0-9, single underscores)`;
  if (name === 'index' || name === 'config')
    return `plugin name "${name}" would clash with the folder's ${name}.ts`;
  return undefined;
}

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const pascal = (s: string): string => camel(s).replace(/^./, (c) => c.toUpperCase());

/** Import statements for the symbols a file uses (`type X` for types). */
function importer(inTree: boolean, folder: string, root: string): (symbols: string[]) => string {
  return (symbols) => {
    if (!inTree) return `import { ${symbols.join(', ')} } from 'viva/sdk';`;
    const byModule = new Map<string, string[]>();
    for (const s of symbols) {
      const mod = CORE_MODULES[s.replace(/^type /, '')];
      const from =
        mod === 'zod'
          ? 'zod'
          : path
              .relative(folder, path.join(root, 'core', mod))
              .split(path.sep)
              .join('/');
      byModule.set(from, [...(byModule.get(from) ?? []), s]);
    }
    return [...byModule]
      .map(([from, names]) =>
        names.every((n) => n.startsWith('type '))
          ? `import type { ${names.map((n) => n.slice(5)).join(', ')} } from '${from}';`
          : `import { ${names.join(', ')} } from '${from}';`,
      )
      .join('\n');
  };
}

/** One option of the generated schema: its source text and the same schema, for sample.toml. */
interface Option {
  key: string;
  source: string;
  schema: z.ZodType;
}

interface Template {
  description: string;
  options: Option[];
  /** NAME.ts without its imports, and the symbols it imports. */
  logic: { imports: string[]; body: string };
  test: { imports: string[]; body: string };
  metrics: string;
  example: string;
}

function template(kind: PluginKind, name: string): Template {
  const cls = pascal(name);
  const defVar = `${camel(name)}${pascal(kind)}`;
  if (kind === 'input')
    return {
      description: `Gathers one ${name} metric per interval`,
      options: [
        {
          key: 'measurement',
          source: `z.string().default('${name}').describe('Measurement name of the metric.')`,
          schema: z.string().default(name).describe('Measurement name of the metric.'),
        },
        {
          key: 'value',
          source: `z.number().default(1).describe('Value of the "value" field.')`,
          schema: z.number().default(1).describe('Value of the "value" field.'),
        },
      ],
      logic: {
        imports: ['Metric', 'type Accumulator', 'type InputInstance', 'type PluginContext'],
        body: `export class ${cls} implements InputInstance {
  private readonly cfg: ${cls}Config;
  private readonly ctx: PluginContext;

  constructor(cfg: ${cls}Config, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
  }

  /** Called by VIVA at every interval: push what was gathered as one batch. */
  gather(acc: Accumulator): void {
    acc.push([new Metric(this.cfg.measurement, {}, { value: this.cfg.value }, this.ctx.clock.now())]);
  }
}`,
      },
      test: {
        imports: ['gatherOnce'],
        body: `describe('${name} input', () => {
  it('should gather one metric with the configured value', async () => {
    const acc = await gatherOnce(${defVar}, { value: 42 });
    expect(acc.metrics).toHaveLength(1);
    expect(acc.metrics[0].name).toBe('${name}');
    expect(acc.metrics[0].fields).toEqual({ value: 42 });
  });
});`,
      },
      metrics: `- measurement: \`${name}\` (set by \`measurement\`)\n- fields: \`value\` (float)`,
      example: `${name},host=web1 value=1 1764140000000000000`,
    };
  if (kind === 'processor')
    return {
      description: `Adds a tag to every metric`,
      options: [
        {
          key: 'tag',
          source: `z.string().min(1).default('processed_by').describe('Key of the tag added.')`,
          schema: z.string().min(1).default('processed_by').describe('Key of the tag added.'),
        },
        {
          key: 'value',
          source: `z.string().default('${name}').describe('Value of the tag added.')`,
          schema: z.string().default(name).describe('Value of the tag added.'),
        },
      ],
      logic: {
        imports: ['type Metric', 'type ProcessorInstance'],
        body: `export class ${cls} implements ProcessorInstance {
  private readonly cfg: ${cls}Config;

  constructor(cfg: ${cls}Config) {
    this.cfg = cfg;
  }

  /** Called by VIVA with each batch: change, drop or add metrics and return the batch to pass on. */
  process(metrics: Metric[]): Metric[] {
    for (const m of metrics) m.tags[this.cfg.tag] = this.cfg.value;
    return metrics;
  }
}`,
      },
      test: {
        imports: ['Metric', 'runProcessor'],
        body: `describe('${name} processor', () => {
  it('should add the configured tag to every metric', async () => {
    const batch = [new Metric('cpu', { host: 'a' }, { usage: 1 }, 0)];
    const out = await runProcessor(${defVar}, { tag: 'team' }, batch);
    expect(out).toHaveLength(1);
    expect(out[0].tags).toEqual({ host: 'a', team: '${name}' });
  });
});`,
      },
      metrics: `Every metric passes with the tag \`processed_by\` (set by \`tag\` and \`value\`) added.`,
      example: `cpu,host=web1,processed_by=${name} usage_idle=97.5 1764140000000000000`,
    };
  return {
    description: `Counts the metrics it writes`,
    options: [
      {
        key: 'log_every',
        source: `z.number().int().positive().default(1000).describe('Log the total every this many metrics.')`,
        schema: z.number().int().positive().default(1000).describe('Log the total every this many metrics.'),
      },
    ],
    logic: {
      imports: ['type Metric', 'type OutputInstance', 'type PluginContext'],
      body: `export class ${cls} implements OutputInstance {
  private readonly cfg: ${cls}Config;
  private readonly ctx: PluginContext;
  /** Metrics written so far. */
  written = 0;

  constructor(cfg: ${cls}Config, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
  }

  /** Called by VIVA with each batch; throw a WriteError to have it retried or dropped. */
  write(metrics: Metric[]): Promise<void> {
    const before = this.written;
    this.written += metrics.length;
    if (Math.floor(before / this.cfg.log_every) !== Math.floor(this.written / this.cfg.log_every))
      this.ctx.log.info({ written: this.written }, 'metrics written');
    return Promise.resolve();
  }
}`,
    },
    test: {
      imports: ['Metric', 'parseConfig', 'testContext'],
      body: `describe('${name} output', () => {
  it('should count the metrics of every write', async () => {
    const config = parseConfig(${defVar});
    const output = (await ${defVar}.create(config, testContext(${defVar}))) as ${cls};
    const batch = [new Metric('cpu', {}, { usage: 1 }, 0), new Metric('cpu', {}, { usage: 2 }, 0)];
    await output.write(batch);
    await output.write(batch);
    expect(output.written).toBe(4);
  });
});`,
    },
    metrics: 'None produced; it counts what it is given.',
    example: `{"level":30,"plugin":"outputs.${name}","written":1000,"msg":"metrics written"}`,
  };
}

/** The file contents of a new plugin, by file name. */
export function renderPlugin(opts: ScaffoldOptions): { files: Map<string, string>; inTree: boolean } {
  const root = opts.repoRoot ?? REPO_ROOT;
  const folder = path.resolve(opts.dir, opts.name);
  const rel = path.relative(path.join(root, 'plugins'), folder);
  const inTree = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  const imp = importer(inTree, folder, root);
  const { kind, name } = opts;
  const t = template(kind, name);
  const cls = pascal(name);
  const defVar = `${camel(name)}${pascal(kind)}`;
  const define = `define${pascal(kind)}`;
  const files = new Map<string, string>();

  files.set(
    'config.ts',
    `${imp(['z'])}

/** Config of the ${name} ${kind}: the single source of truth for its keys, defaults and docs. */
export const ${camel(name)}Config = z.strictObject({
${t.options.map((o) => `  ${o.key}: ${o.source},`).join('\n')}
});

/** The parsed config of the ${name} ${kind}. */
export type ${cls}Config = z.output<typeof ${camel(name)}Config>;
`,
  );
  files.set(
    `${name}.ts`,
    `/**
 * The ${name} ${kind}. ${t.description}.
 */
${imp(t.logic.imports)}
import type { ${cls}Config } from './config.ts';

${t.logic.body}
`,
  );
  files.set(
    'index.ts',
    `${imp([define])}
import { ${camel(name)}Config } from './config.ts';
import { ${cls} } from './${name}.ts';

/** The ${name} ${kind}. */
export const ${defVar} = ${define}({
  name: '${name}',
  description: '${t.description}',
  config: ${camel(name)}Config,
  create: (${kind === 'processor' ? 'config' : 'config, ctx'}) => new ${cls}(${kind === 'processor' ? 'config' : 'config, ctx'}),
});
`,
  );
  const testImports = kind === 'output' ? `import type { ${cls} } from './${name}.ts';\n` : '';
  files.set(
    `${name}.test.ts`,
    `import { describe, expect, it } from 'vitest';
${imp(t.test.imports)}
import { ${defVar} } from './index.ts';
${testImports}
${t.test.body}
`,
  );
  const def = {
    kind,
    name,
    description: t.description,
    config: z.strictObject(Object.fromEntries(t.options.map((o) => [o.key, o.schema]))),
    create: () => ({}),
  } as unknown as AnyDefinition;
  const sample = sampleToml(def);
  files.set('sample.toml', sample);
  files.set(
    'README.md',
    `# ${name} ${kind}

${t.description}. Describe here what it talks to, what it needs, and anything an operator
should know.

## Configuration

\`\`\`toml
${sample}\`\`\`

## Metrics

${t.metrics}

## Example output

\`\`\`
${t.example}
\`\`\`
`,
  );
  return { files, inTree };
}

/** Writes a new plugin folder DIR/NAME; refuses a bad name or an existing folder. */
export function scaffoldPlugin(opts: ScaffoldOptions): ScaffoldResult {
  const problem = nameProblem(opts.name);
  if (problem !== undefined) throw new Error(problem);
  const folder = path.resolve(opts.dir, opts.name);
  if (fs.existsSync(folder)) throw new Error(`${folder} already exists; not overwriting it`);
  const { files, inTree } = renderPlugin(opts);
  fs.mkdirSync(folder, { recursive: true });
  for (const [file, text] of files) fs.writeFileSync(path.join(folder, file), text, { flag: 'wx' });
  return { folder, files: [...files.keys()], inTree };
}
