/**
 * Every filter key at every stage, through the running wrappers and the pipeline: a metric enters
 * a RunningInput, crosses a RunningProcessor (which adds a tag and a field, so where a modifier
 * applies is visible) and is written by a RunningOutput. The test looks only at what is written.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { inputCommonSchema, outputCommonSchema, processorCommonSchema } from '../../config/schema.ts';
import { Metric } from '../../model/metric/metric.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import { Telemetry } from '../telemetry/telemetry.ts';
import { RunningInput } from './input.ts';
import { RunningOutput } from './output.ts';
import { RunningProcessor } from './processor.ts';
import { InputStats, OutputStats, ProcessorStats } from './stats.ts';

type Stage = 'input' | 'processor' | 'output';
const log = pino({ level: 'silent' });

/** Runs `metrics` through input -> processor (adds tag p=1, field added=1) -> output; returns the written lines. */
async function run(stage: Stage, filter: Record<string, unknown>, metrics: Metric[]): Promise<string[]> {
  const telemetry = new Telemetry('test');
  const on = (s: Stage): Record<string, unknown> => (s === stage ? filter : {});
  const oid = { kind: 'output' as const, name: 'mock', alias: undefined, label: 'outputs.mock' };
  const written: string[] = [];
  const output = new RunningOutput({
    id: oid,
    common: outputCommonSchema.parse(on('output')),
    batchSize: 100,
    bufferLimit: 100,
    flushIntervalMs: 60_000,
    flushJitterMs: 0,
    instance: {
      write: async (batch) => {
        for (const m of batch) written.push(show(m));
      },
    },
    log,
    stats: new OutputStats(telemetry, oid),
  });
  const pid = { kind: 'processor' as const, name: 'mark', alias: undefined, label: 'processors.mark' };
  const processor = new RunningProcessor({
    id: pid,
    common: processorCommonSchema.parse(on('processor')),
    instance: {
      process: (ms) => {
        for (const m of ms) {
          m.tags.p = '1';
          m.setInt('added', 1);
        }
        return ms;
      },
    },
    log,
    stats: new ProcessorStats(telemetry, pid),
  });
  const pipeline = new Pipeline([processor], [output], log);
  const iid = { kind: 'input' as const, name: 'src', alias: undefined, label: 'inputs.src' };
  const input = new RunningInput(
    {
      id: iid,
      common: inputCommonSchema.parse(on('input')),
      intervalMs: 60_000,
      roundInterval: false,
      jitterMs: 0,
      defaultTags: {},
      instance: {},
      log,
      stats: new InputStats(telemetry, iid),
      signal: new AbortController().signal,
    },
    pipeline,
  );
  input.accumulator.push(metrics, undefined);
  await pipeline.idle();
  await output.stop(1000);
  return written.sort();
}

/** name,sorted tags fields (sorted), enough to compare. */
function show(m: Metric): string {
  const tags = Object.keys(m.tags)
    .sort()
    .map((k) => `,${k}=${m.tags[k]}`)
    .join('');
  const fields = Object.keys(m.fields)
    .sort()
    .map((k) => `${k}=${String(m.fields[k])}`)
    .join(',');
  return `${m.name}${tags} ${fields}`;
}

const batch = (): Metric[] => [
  new Metric('cpu', { host: 'a', dc: 'x' }, { usage: 1, idle: 2 }, 0),
  new Metric('mem', { host: 'b' }, { used: 3 }, 0),
];

const cases: [string, Record<string, unknown>, Record<Stage, string[]>][] = [
  [
    'namepass',
    { namepass: ['cpu'] },
    {
      input: ['cpu,dc=x,host=a,p=1 added=1,idle=2,usage=1'],
      // A processor's selector lets the rest bypass it unchanged.
      processor: ['cpu,dc=x,host=a,p=1 added=1,idle=2,usage=1', 'mem,host=b used=3'],
      output: ['cpu,dc=x,host=a,p=1 added=1,idle=2,usage=1'],
    },
  ],
  [
    'namedrop',
    { namedrop: ['cpu'] },
    {
      input: ['mem,host=b,p=1 added=1,used=3'],
      processor: ['cpu,dc=x,host=a idle=2,usage=1', 'mem,host=b,p=1 added=1,used=3'],
      output: ['mem,host=b,p=1 added=1,used=3'],
    },
  ],
  [
    'tagpass',
    { tagpass: { host: ['b'] } },
    {
      input: ['mem,host=b,p=1 added=1,used=3'],
      processor: ['cpu,dc=x,host=a idle=2,usage=1', 'mem,host=b,p=1 added=1,used=3'],
      output: ['mem,host=b,p=1 added=1,used=3'],
    },
  ],
  [
    'tagdrop',
    { tagdrop: { host: ['b'] } },
    {
      input: ['cpu,dc=x,host=a,p=1 added=1,idle=2,usage=1'],
      processor: ['cpu,dc=x,host=a,p=1 added=1,idle=2,usage=1', 'mem,host=b used=3'],
      output: ['cpu,dc=x,host=a,p=1 added=1,idle=2,usage=1'],
    },
  ],
  [
    'fieldinclude',
    { fieldinclude: ['usage', 'added'] },
    {
      // mem is left without fields: dropped.
      input: ['cpu,dc=x,host=a,p=1 added=1,usage=1'],
      // Modifiers trim what the processor is given; what it adds afterwards stays.
      processor: ['cpu,dc=x,host=a,p=1 added=1,usage=1'],
      output: ['cpu,dc=x,host=a,p=1 added=1,usage=1', 'mem,host=b,p=1 added=1'],
    },
  ],
  [
    'fieldexclude',
    { fieldexclude: ['usage', 'added'] },
    {
      input: ['cpu,dc=x,host=a,p=1 added=1,idle=2', 'mem,host=b,p=1 added=1,used=3'],
      processor: ['cpu,dc=x,host=a,p=1 added=1,idle=2', 'mem,host=b,p=1 added=1,used=3'],
      output: ['cpu,dc=x,host=a,p=1 idle=2', 'mem,host=b,p=1 used=3'],
    },
  ],
  [
    'taginclude',
    { taginclude: ['host'] },
    {
      input: ['cpu,host=a,p=1 added=1,idle=2,usage=1', 'mem,host=b,p=1 added=1,used=3'],
      processor: ['cpu,host=a,p=1 added=1,idle=2,usage=1', 'mem,host=b,p=1 added=1,used=3'],
      output: ['cpu,host=a added=1,idle=2,usage=1', 'mem,host=b added=1,used=3'],
    },
  ],
  [
    'tagexclude',
    { tagexclude: ['dc', 'p'] },
    {
      input: ['cpu,host=a,p=1 added=1,idle=2,usage=1', 'mem,host=b,p=1 added=1,used=3'],
      processor: ['cpu,host=a,p=1 added=1,idle=2,usage=1', 'mem,host=b,p=1 added=1,used=3'],
      output: ['cpu,host=a added=1,idle=2,usage=1', 'mem,host=b added=1,used=3'],
    },
  ],
];

describe('filters at every stage', () => {
  for (const [key, filter, want] of cases) {
    for (const stage of ['input', 'processor', 'output'] as const) {
      it(`should apply ${key} on an ${stage}`, async () => {
        expect(await run(stage, filter, batch())).toEqual(want[stage]);
      });
    }
  }

  it('should trim only the metrics a processor selects, and pass the others by untouched', async () => {
    const out = await run(
      'processor',
      { namepass: ['cpu'], fieldexclude: ['idle'], tagexclude: ['host'] },
      batch(),
    );
    expect(out).toEqual(['cpu,dc=x,p=1 added=1,usage=1', 'mem,host=b used=3']);
  });
});
