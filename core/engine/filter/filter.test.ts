import { describe, expect, it } from 'vitest';
import { Metric } from '../../model/metric/metric.ts';
import { applyFilter, compileFilter } from './filter.ts';

const m = (name: string, tags: Record<string, string>, fields: Record<string, number>): Metric =>
  new Metric(name, tags, fields, 0);

describe('metric filters', () => {
  const batch = (): Metric[] => [
    m('cpu', { host: 'web1', dc: 'eu' }, { usage: 1, idle: 2 }),
    m('mem', { host: 'db1' }, { used: 3 }),
    m('disk', { host: 'web2', path: '/' }, { free: 4 }),
  ];

  it('should keep only names matching namepass globs and drop namedrop ones', () => {
    const f = compileFilter({ namepass: ['c*', 'disk'], namedrop: ['disk'] });
    expect(applyFilter(f, batch(), false).kept.map((x) => x.name)).toEqual(['cpu']);
  });

  it('should select by tag value globs with tagpass and tagdrop', () => {
    expect(
      applyFilter(compileFilter({ tagpass: { host: ['web*'] } }), batch(), false).kept.map((x) => x.name),
    ).toEqual(['cpu', 'disk']);
    expect(
      applyFilter(compileFilter({ tagdrop: { dc: ['eu'] } }), batch(), false).kept.map((x) => x.name),
    ).toEqual(['mem', 'disk']);
  });

  it('should trim fields and drop a metric left without fields', () => {
    const r = applyFilter(compileFilter({ fieldinclude: ['usage', 'used'] }), batch(), false);
    expect(r.kept.map((x) => x.fields)).toEqual([{ usage: 1 }, { used: 3 }]);
    expect(r.dropped).toBe(1);
  });

  it('should trim a copy when the batch is shared, leaving the original intact', () => {
    const b = batch();
    const r = applyFilter(compileFilter({ fieldexclude: ['idle'], tagexclude: ['dc'] }), b, true);
    expect(r.kept[0].fields).toEqual({ usage: 1 });
    expect(r.kept[0].tags).toEqual({ host: 'web1' });
    expect(b[0].fields).toEqual({ usage: 1, idle: 2 });
  });

  it('should match character classes and single-character wildcards', () => {
    const f = compileFilter({ namepass: ['[cd]is?', 'c?u'] });
    expect(applyFilter(f, batch(), false).kept.map((x) => x.name)).toEqual(['cpu', 'disk']);
  });
});
