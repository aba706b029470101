import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig } from '../../../core/plugin/testing.ts';
import { mqttConsumerInput } from './index.ts';
import { applyRule, compileRules, ruleFor, topicMatches } from './topics.ts';
import { ValueParser } from './value.ts';

// The consumer itself runs against the real broker in test/integration/mqtt.test.ts.

describe('topic filters', () => {
  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b/c', false],
    ['+/+', 'a/b', true],
  ])('should match %s against %s: %s', (filter, topic, want) => {
    expect(topicMatches(filter.split('/'), topic.split('/'))).toBe(want);
  });
});

describe('topic parsing', () => {
  const rules = compileRules([
    {
      topic: 'plant/+/+/+',
      measurement: '_/_/measurement/_',
      tags: '_/site/_/device',
      fields: '_/_/_/_',
      types: {},
    },
    { topic: 'rooms/#', tags: '_/room', fields: '_/_/floor', types: { floor: 'int' } },
  ]);

  it('should take the measurement and tags from topic segments', () => {
    const segments = 'plant/north/temperature/d7'.split('/');
    const m = new Metric('mqtt_consumer', {}, { value: 1 }, 0);
    expect(applyRule(ruleFor(rules, segments)!, segments, m)).toBeUndefined();
    expect(m).toMatchObject({ name: 'temperature', tags: { site: 'north', device: 'd7' } });
  });

  it('should take typed fields from topic segments and report a segment of the wrong type', () => {
    const ok = 'rooms/kitchen/3'.split('/');
    const m = new Metric('x', {}, {}, 0);
    applyRule(ruleFor(rules, ok)!, ok, m);
    expect(m.fields.floor).toBe(3);
    expect(m.fieldType('floor')).toBe('int');
    const bad = 'rooms/kitchen/top'.split('/');
    expect(applyRule(ruleFor(rules, bad)!, bad, new Metric('x', {}, {}, 0))).toMatch(/not a int/);
  });

  it('should apply no rule to a topic no filter matches', () => {
    expect(ruleFor(rules, ['other'])).toBeUndefined();
  });
});

describe('value payloads', () => {
  it.each([
    ['float', ' 21.5\n', 21.5, 'float'],
    ['integer', '42', 42, 'int'],
    ['boolean', 'TRUE', true, 'boolean'],
    ['string', 'on', 'on', 'string'],
  ] as const)('should parse a %s value', (type, payload, value, fieldType) => {
    const r = new ValueParser(type, 'value').parse(Buffer.from(payload));
    expect(r.errors).toEqual([]);
    expect(r.metrics[0].fields.value).toBe(value);
    expect(r.metrics[0].fieldType('value')).toBe(fieldType);
  });

  it('should keep integers beyond 2^53 exact', () => {
    expect(new ValueParser('integer', 'v').parse('9007199254740993').metrics[0].fields.v).toBe(
      9007199254740993n,
    );
  });

  it('should report a value that does not parse as its data_type', () => {
    expect(new ValueParser('float', 'value').parse('warm').errors[0].message).toMatch(/not a number/);
    expect(new ValueParser('integer', 'value').parse('1.5').errors).toHaveLength(1);
  });
});

describe('mqtt_consumer config', () => {
  it('should need a client_id for a persistent session', () => {
    expect(mqttConsumerInput.config.safeParse({ topics: ['a/#'], persistent_session: true }).success).toBe(
      false,
    );
    expect(
      mqttConsumerInput.config.safeParse({ topics: ['a/#'], persistent_session: true, client_id: 'viva-1' })
        .success,
    ).toBe(true);
  });

  it('should default to QoS 1 on the local broker', () => {
    expect(parseConfig(mqttConsumerInput, { topics: ['a/#'] })).toMatchObject({
      qos: 1,
      servers: ['tcp://127.0.0.1:1883'],
      protocol_version: '3.1.1',
      data_format: 'influx',
    });
  });
});
