import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import { discardOutput } from './index.ts';

describe('discard output', () => {
  it('should accept every batch without error', async () => {
    const out = await discardOutput.create(parseConfig(discardOutput), testContext(discardOutput));
    await expect(out.write([new Metric('m', {}, { v: 1 }, 0)])).resolves.toBeUndefined();
  });
});
