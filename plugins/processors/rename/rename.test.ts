import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { runProcessor } from '../../../core/plugin/testing.ts';
import { renameProcessor } from './index.ts';

function cpu(): Metric {
  const m = new Metric('cpu', { host: 'web1', cpu: 'cpu0' }, { usage_idle: 97.5 }, 1000);
  m.setInt('count', 3);
  return m;
}

describe('rename processor', () => {
  it('should rename a tag key and keep its value', async () => {
    const [m] = await runProcessor(renameProcessor, { replace: [{ tag: 'host', dest: 'hostname' }] }, [
      cpu(),
    ]);
    expect(m.tags).toEqual({ hostname: 'web1', cpu: 'cpu0' });
  });

  it('should rename a measurement only when the name matches exactly', async () => {
    const out = await runProcessor(
      renameProcessor,
      { replace: [{ measurement: 'cpu', dest: 'processor' }] },
      [cpu(), new Metric('cpu2', {}, { x: 1 }, 0)],
    );
    expect(out.map((m) => m.name)).toEqual(['processor', 'cpu2']);
  });

  it('should rename a field and keep it an integer', async () => {
    const [m] = await runProcessor(renameProcessor, { replace: [{ field: 'count', dest: 'n' }] }, [cpu()]);
    expect(m.fields).toEqual({ usage_idle: 97.5, n: 3 });
    expect(m.fieldType('n')).toBe('int');
    expect(m.fieldType('count')).toBeUndefined();
  });

  it('should overwrite an existing key and apply replacements in order', async () => {
    const [m] = await runProcessor(
      renameProcessor,
      {
        replace: [
          { tag: 'cpu', dest: 'host' },
          { tag: 'host', dest: 'core' },
          { field: 'usage_idle', dest: 'count' },
        ],
      },
      [cpu()],
    );
    expect(m.tags).toEqual({ core: 'cpu0' });
    expect(m.fields).toEqual({ count: 97.5 });
    expect(m.fieldType('count')).toBe('float');
  });

  it('should leave metrics without the key untouched', async () => {
    const [m] = await runProcessor(
      renameProcessor,
      {
        replace: [
          { tag: 'region', dest: 'r' },
          { field: 'x', dest: 'y' },
        ],
      },
      [cpu()],
    );
    expect(m).toEqual(cpu());
  });

  it('should reject a misspelled key and an entry naming two kinds', () => {
    expect(renameProcessor.config.safeParse({ replace: [{ tag: 'a', dset: 'b' }] }).success).toBe(false);
    expect(renameProcessor.config.safeParse({ replaces: [] }).success).toBe(false);
    const r = renameProcessor.config.safeParse({ replace: [{ tag: 'a', field: 'b', dest: 'c' }] });
    expect(r.error?.issues[0].message).toBe(
      'each replace entry needs exactly one of measurement, tag or field',
    );
  });
});
