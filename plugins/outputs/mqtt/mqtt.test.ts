import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig } from '../../../core/plugin/testing.ts';
import { mqttOutput } from './index.ts';
import { compileTopic } from './topic.ts';

// Publishing runs against the real broker in test/integration/mqtt.test.ts.

describe('mqtt topic templates', () => {
  const m = new Metric('cpu', { host: 'web-1', odd: 'a+b#c' }, { v: 1 }, 0);

  it('should put the metric name and tag values into the topic', () => {
    expect(compileTopic('viva/{tag:host}/{name}')(m)).toBe('viva/web-1/cpu');
  });

  it('should leave an absent tag empty and replace wildcard characters', () => {
    expect(compileTopic('{tag:missing}/{tag:odd}')(m)).toBe('/a_b_c');
  });

  it('should keep a template without placeholders as it is', () => {
    expect(compileTopic('fixed/topic')(m)).toBe('fixed/topic');
  });
});

describe('mqtt output config', () => {
  it('should default to QoS 1, one message per metric, line protocol', () => {
    expect(parseConfig(mqttOutput, {})).toMatchObject({
      qos: 1,
      batch: false,
      retain: false,
      data_format: 'influx',
      topic: 'viva/{tag:host}/{name}',
    });
  });

  it('should refuse a server URL of an unknown scheme', () => {
    expect(mqttOutput.config.safeParse({ servers: ['http://broker:1883'] }).success).toBe(false);
  });
});
