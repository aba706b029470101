import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fuzzRuns, fuzzText, mutatedText } from '../format/testing.ts';
import { ConfigError } from '../model/errors/errors.ts';
import { defineInput, defineOutput } from '../plugin/define.ts';
import { Registry } from '../plugin/registry.ts';
import { loadConfig } from './load.ts';
import { validateConfig } from './validate.ts';

const registry = new Registry().register(
  defineInput({
    name: 'gen',
    description: 'test input',
    config: z.strictObject({ rate: z.number().default(1), name: z.string().default('x') }),
    create: () => ({ gather: () => undefined }),
  }),
  defineOutput({
    name: 'sink',
    description: 'test output',
    config: z.strictObject({ url: z.string() }),
    create: () => ({ write: async () => undefined }),
  }),
);

const SAMPLES = [
  '[agent]\ninterval = "10s"\nflush_interval = "${FLUSH:-1s}"\n\n[global_tags]\nhost = "${HOST}"\n\n[[inputs.gen]]\nrate = 2\nname = "a \\"q\\" \\\\ b"\n\n[[outputs.sink]]\nurl = "${URL:?URL is required}"\n',
  '[[inputs.gen]]\ninterval = "1m"\n[inputs.gen.tags]\nk = "v"\n\n[[outputs.sink]]\nurl = \'http://u:p@h/x\'\nnamepass = ["a*", "b"]\n',
  'plugins = [1, 2]\n[[processors.nope]]\n$${LITERAL} = 1\n[inputs]\ngen = 3\n',
];

const ENV: NodeJS.ProcessEnv = {
  HOST: 'h1',
  URL: 'http://secret@x',
  EMPTY: '',
  WEIRD: '"\n[[inputs.gen]]\\',
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-cfg-fuzz-'));
const file = path.join(dir, 'viva.toml');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Loads and validates; anything thrown must be a ConfigError. */
function loadAndValidate(text: string, env: NodeJS.ProcessEnv): void {
  fs.writeFileSync(file, text);
  try {
    validateConfig(loadConfig(file, env), registry);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.message.length).toBeGreaterThan(0);
  }
}

/** Text with `${VAR}` references (set, unset, empty, with :- and :? and $$ escapes) sprinkled in. */
const withRefs = fc
  .array(
    fc.oneof(
      fuzzText(64),
      fc.constantFrom(
        '${HOST}',
        '${URL}',
        '${EMPTY:-d}',
        '${UNSET:?gone}',
        '${WEIRD}',
        '$${',
        '${',
        '}',
        '"',
        '\n',
      ),
    ),
    { maxLength: 20 },
  )
  .map((parts) => parts.join(''));

describe('config loader fuzz', () => {
  it('should throw only ConfigError for arbitrary or mutated TOML with ${VAR} substitution', () => {
    fc.assert(
      fc.property(fc.oneof(fuzzText(), mutatedText(SAMPLES), withRefs), (text) => loadAndValidate(text, ENV)),
      { numRuns: fuzzRuns(200) },
    );
  });

  it('should throw only ConfigError for valid TOML tables with arbitrary values', () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.double(), fc.boolean());
    const table = fc.dictionary(fc.constantFrom('rate', 'name', 'url', 'interval', 'tags', 'x', ''), value, {
      maxKeys: 4,
    });
    fc.assert(
      fc.property(
        fc.record({
          agent: fc.dictionary(fc.constantFrom('interval', 'flush_interval', 'hostname', 'y'), value, {
            maxKeys: 3,
          }),
          gen: fc.array(table, { maxLength: 2 }),
          sink: fc.array(table, { maxLength: 2 }),
        }),
        ({ agent, gen, sink }) => {
          const toml = (v: unknown): string => JSON.stringify(v) ?? '""';
          const kv = (t: Record<string, unknown>): string =>
            Object.entries(t)
              .filter(([, v]) => v !== null)
              .map(([k, v]) => `${JSON.stringify(k)} = ${toml(v)}`)
              .join('\n');
          const text = [
            `[agent]\n${kv(agent)}`,
            ...gen.map((t) => `[[inputs.gen]]\n${kv(t)}`),
            ...sink.map((t) => `[[outputs.sink]]\n${kv(t)}`),
          ].join('\n');
          loadAndValidate(text, ENV);
        },
      ),
      { numRuns: fuzzRuns(200) },
    );
  });
});
