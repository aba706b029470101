import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatherOnce, Metric, runProcessor, TestAccumulator, testContext, parseConfig } from 'viva/sdk';
import { loadConfig } from '../../core/config/load.ts';
import { loadExternalPlugins } from '../../core/plugin/external.ts';
import { Registry } from '../../core/plugin/registry.ts';
import { randomWalkInput, uppercaseTagsProcessor } from './index.ts';

describe('random_walk input', () => {
  it('should gather one metric per walker, tagged by walker', async () => {
    const acc = await gatherOnce(randomWalkInput, { walkers: 2, seed: 1 });
    expect(acc.metrics.map((m) => [m.name, m.tags.walker, m.fields.steps])).toEqual([
      ['random_walk', 'w0', 1],
      ['random_walk', 'w1', 1],
    ]);
    expect(acc.metrics[0].fieldType('steps')).toBe('int');
  });

  it('should move each walker by at most one step per gather', async () => {
    const def = randomWalkInput;
    const input = await def.create(parseConfig(def, { walkers: 1, step: 0.5, seed: 7 }), testContext(def));
    const acc = new TestAccumulator();
    for (let i = 0; i < 20; i++) await input.gather?.(acc);
    const positions = [0, ...acc.metrics.map((m) => m.fields.position as number)];
    for (let i = 1; i < positions.length; i++)
      expect(Math.abs(positions[i] - positions[i - 1])).toBeLessThanOrEqual(0.5);
  });

  it('should repeat the same walk for the same seed', async () => {
    const walk = async (): Promise<unknown[]> =>
      (await gatherOnce(randomWalkInput, { walkers: 3, seed: 42 })).metrics.map((m) => m.fields.position);
    expect(await walk()).toEqual(await walk());
  });
});

describe('uppercase_tags processor', () => {
  const metric = (): Metric => new Metric('cpu', { host: 'web1', dc: 'eu-west' }, { usage: 1 }, 0);

  it('should upper-case the value of every tag by default', async () => {
    const [m] = await runProcessor(uppercaseTagsProcessor, {}, [metric()]);
    expect(m.tags).toEqual({ host: 'WEB1', dc: 'EU-WEST' });
  });

  it('should upper-case only the listed tags when given', async () => {
    const [m] = await runProcessor(uppercaseTagsProcessor, { tags: ['dc'] }, [metric()]);
    expect(m.tags).toEqual({ host: 'web1', dc: 'EU-WEST' });
  });
});

describe('viva-plugin-example package', () => {
  it('should be loaded by path with both plugins registered', async () => {
    const dir = import.meta.dirname;
    const raw = loadConfig(path.join(dir, 'viva.toml'));
    const registry = await loadExternalPlugins(raw, new Registry(), { baseDir: dir });
    expect(registry.get('input', 'random_walk')).toBe(randomWalkInput);
    expect(registry.get('processor', 'uppercase_tags')).toBe(uppercaseTagsProcessor);
  });
});
