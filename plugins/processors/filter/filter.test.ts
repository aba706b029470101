import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { runProcessor } from '../../../core/plugin/testing.ts';
import { filterProcessor } from './index.ts';

const batch = (): Metric[] => [
  new Metric('http', { env: 'dev', status: '200' }, { latency: 12 }, 0),
  new Metric('http', { env: 'prod', status: '500' }, { latency: 900 }, 0),
  new Metric('http', { env: 'prod', status: '200' }, { latency: 40 }, 0),
  new Metric('disk', {}, { free: 1 }, 0),
];

const names = (ms: Metric[]): string[] =>
  ms.map((m) => `${m.name}:${m.tags.env ?? '-'}:${m.tags.status ?? '-'}`);

describe('filter processor', () => {
  it('should drop the metrics for which the expression is true', async () => {
    const out = await runProcessor(
      filterProcessor,
      { expression: 'tags.env == "dev" || fields.latency > 500' },
      batch(),
    );
    expect(names(out)).toEqual(['http:prod:200', 'disk:-:-']);
  });

  it('should keep only the matching metrics with action keep, dropping those missing the key', async () => {
    const out = await runProcessor(
      filterProcessor,
      { expression: 'tags.status in ["200", "204"] && fields.latency < 100', action: 'keep' },
      batch(),
    );
    expect(names(out)).toEqual(['http:dev:200', 'http:prod:200']);
  });

  it('should match names by regex', async () => {
    const out = await runProcessor(filterProcessor, { expression: 'name =~ "^d"' }, batch());
    expect(out.map((m) => m.name)).toEqual(['http', 'http', 'http']);
  });

  it('should reject an expression that does not parse, naming the column', () => {
    const r = filterProcessor.config.safeParse({ expression: 'fields.latency >' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toMatch(/column 17: unexpected end of expression/);
  });

  it('should reject a misspelled key and an unknown action', () => {
    expect(filterProcessor.config.safeParse({ expresion: 'true' }).success).toBe(false);
    expect(filterProcessor.config.safeParse({ expression: 'true', action: 'pass' }).success).toBe(false);
  });
});
