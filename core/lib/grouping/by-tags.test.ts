import { describe, expect, it } from 'vitest';
import { Metric, seriesKey } from '../../model/metric/metric.ts';
import { groupKey, groupTags } from './by-tags.ts';

const m = (tags: Record<string, string>): Metric => new Metric('cpu', tags, { v: 1 }, 0);

describe('groupKey', () => {
  it('should group by series with ["*"]', () => {
    const x = m({ host: 'a', dc: 'x' });
    expect(groupKey(x, ['*'])).toBe(seriesKey(x));
  });

  it('should tell a missing tag from an empty one', () => {
    expect(groupKey(m({}), ['host'])).not.toBe(groupKey(m({ host: '' }), ['host']));
    expect(groupKey(m({ host: 'a', dc: 'x' }), ['host'])).toBe(groupKey(m({ host: 'a', dc: 'y' }), ['host']));
  });
});

describe('groupTags', () => {
  it('should keep only the grouping tags that are present', () => {
    expect(groupTags(m({ host: 'a', dc: 'x' }), ['host', 'rack'])).toEqual({ host: 'a' });
  });

  it('should copy all tags with ["*"]', () => {
    const x = m({ host: 'a' });
    const tags = groupTags(x, ['*']);
    expect(tags).toEqual({ host: 'a' });
    expect(tags).not.toBe(x.tags);
  });
});
