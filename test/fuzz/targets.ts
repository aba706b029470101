/**
 * The fuzz targets: each feeds one input to a parser; a VivaError (ConfigError is one) is a
 * rejection, anything else thrown is a crash. Each target imports only its parser, on demand, so
 * coverage counts the code under test and not every module of the agent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VivaError } from '../../core/model/errors/errors.ts';

/** What jsfuzz calls with each input. */
export type FuzzFn = (data: Buffer) => void;

type Outcome = { value: unknown } | { rejected: string };

/** Runs fn; a VivaError is a rejection, anything else is rethrown as a crash. */
async function oracle(): Promise<(fn: () => unknown) => Outcome> {
  const { VivaError: Err } = await import('../../core/model/errors/errors.ts');
  return (fn) => {
    try {
      return { value: fn() };
    } catch (err) {
      if (err instanceof Err) return { rejected: (err as VivaError).message };
      throw err;
    }
  };
}

async function lineprotocol(): Promise<FuzzFn> {
  const reject = await oracle();
  const { parseLineProtocol } = await import('../../core/format/lineprotocol/parser.ts');
  return (data) => reject(() => parseLineProtocol(data));
}

/** decodeBatch and validateBatch must agree: the same count, or the same VivaError message. */
async function binary(): Promise<FuzzFn> {
  const reject = await oracle();
  const { decodeBatch, validateBatch } = await import('../../core/format/binary/decode.ts');
  return (data) => {
    const decoded = JSON.stringify(reject(() => decodeBatch(data).length));
    const validated = JSON.stringify(reject(() => validateBatch(data)));
    if (decoded !== validated) {
      throw new Error(`decodeBatch and validateBatch disagree: ${decoded} vs ${validated}`);
    }
  };
}

async function json(): Promise<FuzzFn> {
  const reject = await oracle();
  const { JsonParser } = await import('../../core/format/json/index.ts');
  const parser = new JsonParser();
  return (data) => reject(() => parser.parse(data));
}

async function statsd(): Promise<FuzzFn> {
  const reject = await oracle();
  const { parseStatsdLine } = await import('../../plugins/inputs/statsd/parse.ts');
  return (data) => {
    for (const line of data.toString('utf8').split('\n')) {
      reject(() => parseStatsdLine(line, true, []));
      reject(() => parseStatsdLine(line, false, []));
    }
  };
}

async function prometheus(): Promise<FuzzFn> {
  const reject = await oracle();
  const { parseExposition } = await import('../../plugins/inputs/prometheus/exposition.ts');
  return (data) => reject(() => parseExposition(data.toString('utf8')));
}

async function csv(): Promise<FuzzFn> {
  const reject = await oracle();
  const { CsvParser } = await import('../../core/format/csv/index.ts');
  const plain = new CsvParser();
  const unix = new CsvParser({ timestampColumn: 'time', timestampFormat: 'unix', tagColumns: ['host'] });
  const layout = new CsvParser({ timestampFormat: '2006-01-02 15:04:05', valueColumns: ['value', 'v'] });
  return (data) => {
    for (const p of [plain, unix, layout]) reject(() => p.parse(data));
  };
}

/** The loader and the validator against every built-in plugin, as `viva agent -c` runs them. */
async function config(): Promise<FuzzFn> {
  const reject = await oracle();
  const { loadConfig } = await import('../../core/config/load.ts');
  const { validateConfig } = await import('../../core/config/validate.ts');
  const { Registry } = await import('../../core/plugin/registry.ts');
  const { builtinInputs } = await import('../../plugins/inputs/registry.ts');
  const { builtinProcessors } = await import('../../plugins/processors/registry.ts');
  const { builtinOutputs } = await import('../../plugins/outputs/registry.ts');
  const registry = await new Registry()
    .registerLazy(...builtinInputs, ...builtinProcessors, ...builtinOutputs)
    .loadAll();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'viva-fuzz-')), 'viva.toml');
  return (data) => {
    fs.writeFileSync(file, data);
    reject(() => validateConfig(loadConfig(file, { HOST: 'h1', EMPTY: '' }), registry));
  };
}

/** Target name to the loader of the function jsfuzz calls with each input. */
export const TARGETS: Record<string, () => Promise<FuzzFn>> = {
  lineprotocol,
  binary,
  json,
  statsd,
  prometheus,
  csv,
  config,
};
