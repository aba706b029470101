import { afterEach, describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { runProcessor } from '../../../core/plugin/testing.ts';
import { tagsProcessor } from './index.ts';

const batch = (): Metric[] => [
  new Metric('cpu', { host: 'web1', env: 'dev', tmp_a: '1', tmp_b: '2' }, { usage: 1 }, 0),
  new Metric('mem', {}, { used: 2 }, 0),
];

describe('tags processor', () => {
  afterEach(() => {
    delete process.env.VIVA_TEST_REGION;
  });

  it('should add a tag only where it is absent', async () => {
    const out = await runProcessor(tagsProcessor, { add: { env: 'prod', team: 'sre' } }, batch());
    expect(out.map((m) => m.tags)).toEqual([
      { host: 'web1', env: 'dev', tmp_a: '1', tmp_b: '2', team: 'sre' },
      { env: 'prod', team: 'sre' },
    ]);
  });

  it('should overwrite a tag whether or not it is present', async () => {
    const out = await runProcessor(tagsProcessor, { overwrite: { env: 'prod' } }, batch());
    expect(out.map((m) => m.tags.env)).toEqual(['prod', 'prod']);
  });

  it('should remove tags matching globs before setting new ones', async () => {
    const out = await runProcessor(
      tagsProcessor,
      { remove: ['tmp_*', 'env'], add: { env: 'prod' } },
      batch(),
    );
    expect(out[0].tags).toEqual({ host: 'web1', env: 'prod' });
  });

  it('should add a tag from an environment variable and skip an unset one', async () => {
    process.env.VIVA_TEST_REGION = 'eu-west-1';
    const out = await runProcessor(
      tagsProcessor,
      { from_env: { region: 'VIVA_TEST_REGION', zone: 'VIVA_TEST_UNSET_ZONE' } },
      batch(),
    );
    expect(out[1].tags).toEqual({ region: 'eu-west-1' });
  });

  it('should reject a misspelled key', () => {
    expect(tagsProcessor.config.safeParse({ overwite: { a: 'b' } }).success).toBe(false);
    expect(tagsProcessor.config.safeParse({ add: { a: 1 } }).success).toBe(false);
  });
});
