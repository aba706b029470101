import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { runProcessor } from '../../../core/plugin/testing.ts';
import { regexProcessor } from './index.ts';
import { toReplacement } from './pattern.ts';

const access = (): Metric => {
  const m = new Metric(
    'nginx_access',
    { resp_code: '404', verb: 'GET', path: '/api/v1/users' },
    { request: '/search?q=x&page=2' },
    0,
  );
  m.setInt('search_count', 3);
  return m;
};

describe('regex processor', () => {
  it('should rewrite a tag value with Telegraf-style ${1} group references', async () => {
    const [m] = await runProcessor(
      regexProcessor,
      { tags: [{ key: 'resp_code', pattern: '^(\\d)\\d\\d$', replacement: '${1}xx' }] },
      [access()],
    );
    expect(m.tags.resp_code).toBe('4xx');
  });

  it('should write into result_key and keep the original value', async () => {
    const [m] = await runProcessor(
      regexProcessor,
      {
        fields: [
          {
            key: 'request',
            pattern: '^/search\\?.*page=(?P<page>\\d+).*$',
            replacement: '${page}',
            result_key: 'page',
          },
        ],
      },
      [access()],
    );
    expect(m.fields).toMatchObject({ request: '/search?q=x&page=2', page: '2' });
  });

  it('should leave a value the pattern does not match alone and write no result_key', async () => {
    const [m] = await runProcessor(
      regexProcessor,
      { tags: [{ key: 'verb', pattern: '^POST$', replacement: 'write', result_key: 'kind' }] },
      [access()],
    );
    expect(m.tags).toEqual(access().tags);
  });

  it('should rewrite every match in values of all keys matching a glob', async () => {
    const [m] = await runProcessor(regexProcessor, { tags: [{ key: '*', pattern: '/', replacement: '_' }] }, [
      access(),
    ]);
    expect(m.tags.path).toBe('_api_v1_users');
  });

  it('should rename tag and field keys, keeping an existing key unless told to overwrite', async () => {
    const m0 = access();
    m0.tags.code = 'old';
    const [m] = await runProcessor(
      regexProcessor,
      {
        tag_rename: [
          { pattern: '^resp_(\\w+)$', replacement: '$1' },
          { pattern: '^verb$', replacement: 'method', result_key: 'overwrite' },
        ],
        field_rename: [{ pattern: '^search_(\\w+)$', replacement: '${1}' }],
      },
      [m0],
    );
    expect(m.tags).toEqual({ resp_code: '404', code: 'old', method: 'GET', path: '/api/v1/users' });
    expect(m.fields).toEqual({ request: '/search?q=x&page=2', count: 3 });
    expect(m.fieldType('count')).toBe('int');
  });

  it('should rename measurements case-insensitively with a (?i) prefix', async () => {
    const [m] = await runProcessor(
      regexProcessor,
      { metric_rename: [{ pattern: '(?i)^NGINX_', replacement: 'web_' }] },
      [access()],
    );
    expect(m.name).toBe('web_access');
  });

  it('should translate Go replacement syntax to JS', () => {
    expect(toReplacement('${1}0-$2-${name}-$0-${0}-$$-$01')).toBe('$010-$2-$<name>-$&-$&-$$-$01');
  });

  it('should reject an invalid regex with a clear message, and a misspelled key', () => {
    const r = regexProcessor.config.safeParse({ tags: [{ key: 'a', pattern: '(', replacement: '' }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toMatch(/^invalid regular expression "\(": .*Unterminated group/);
    expect(
      regexProcessor.config.safeParse({ tags: [{ key: 'a', patern: 'x', replacement: '' }] }).success,
    ).toBe(false);
    expect(regexProcessor.config.safeParse({ tag: [] }).success).toBe(false);
  });
});
