import { describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../../core/plugin/testing.ts';
import type { Clock, PluginContext } from '../../../core/plugin/types.ts';
import { patternProcessor } from './index.ts';
import type { PatternMatcher } from './pattern.ts';

const S = 1000;
const fixedClock: Clock = { now: () => 0, monotonic: () => 0 };

function create(
  table: Record<string, unknown>,
  ctx: PluginContext = testContext(patternProcessor, { clock: fixedClock }),
): PatternMatcher {
  return patternProcessor.create(parseConfig(patternProcessor, table), ctx) as PatternMatcher;
}

const login = (t: number, result: string, user = 'bob', host = 'h1') =>
  new Metric('login', { host, user, result }, { attempts: 1 }, t * S);

const matches = (out: Metric[]) => out.filter((m) => m.name === 'pattern_match');

async function counter(ctx: PluginContext, name: string): Promise<number> {
  const all = await ctx.selfMetrics();
  return all
    .filter((m) => m.name === `viva_processor_pattern_${name}`)
    .reduce((s, m) => s + Number(m.fields.value), 0);
}

const fail = 'name == "login" && tags.result == "fail"';
const ok = 'name == "login" && tags.result == "ok"';

describe('pattern processor', () => {
  describe('count', () => {
    it('should match the Nth event within the time limit and pass every event on', () => {
      const p = create({
        rule: 'brute_force',
        kind: 'count',
        first: fail,
        count: 3,
        within: '1m',
        by: ['user'],
      });
      const input = [
        login(0, 'fail'),
        login(10, 'ok'),
        login(20, 'fail'),
        login(30, 'fail', 'eve'),
        login(59, 'fail'),
      ];
      const out = p.process(input);
      expect(out.slice(0, 5)).toEqual(input);
      const [m] = matches(out);
      expect(matches(out)).toHaveLength(1);
      expect(m.tags).toEqual({ user: 'bob', pattern: 'brute_force', kind: 'count' });
      expect(m.timeMs).toBe(59 * S);
      expect(m.fields).toEqual({
        events: 3,
        span_s: 59,
        first: 'login,host=h1,result=fail,user=bob attempts=1 0',
        last: 'login,host=h1,result=fail,user=bob attempts=1 59000000000',
      });
      expect(m.fieldType('events')).toBe('int');
    });

    it('should not count events older than the time limit', () => {
      const p = create({ kind: 'count', first: fail, count: 3, within: '1m' });
      // 0 s falls out once the event at 61 s arrives: 30, 61 and then 90 make three within 60 s.
      expect(matches(p.process([login(0, 'fail'), login(30, 'fail'), login(61, 'fail')]))).toEqual([]);
      expect(matches(p.process([login(90, 'fail')])).map((m) => m.fields.span_s)).toEqual([60]);
    });

    it('should start afresh after a match (skip past the last event)', () => {
      const p = create({ kind: 'count', first: fail, count: 2, within: '1m' });
      const out = p.process([
        login(0, 'fail'),
        login(1, 'fail'),
        login(2, 'fail'),
        login(3, 'fail'),
        login(4, 'fail'),
      ]);
      expect(matches(out).map((m) => m.timeMs)).toEqual([1 * S, 3 * S]);
    });
  });

  describe('sequence', () => {
    it('should match A then B within the limit with other events between', () => {
      const p = create({ kind: 'sequence', first: fail, then: ok, within: '5m', by: ['host'] });
      const out = p.process([
        login(0, 'fail'),
        new Metric('cpu', { host: 'h1' }, { usage: 1 }, 1 * S),
        login(100, 'ok'),
      ]);
      const [m] = matches(out);
      expect(matches(out)).toHaveLength(1);
      expect(m.tags).toEqual({ host: 'h1', pattern: 'pattern', kind: 'sequence' });
      expect(m.fields).toMatchObject({ events: 2, span_s: 100 });
      expect(m.fields.first).toMatch(/^login,host=h1,result=fail/);
      expect(m.fields.last).toMatch(/^login,host=h1,result=ok/);
    });

    it('should match B exactly at the limit but not one millisecond after', () => {
      const p = create({ kind: 'sequence', first: fail, then: ok, within: '10s' });
      expect(matches(p.process([login(0, 'fail'), login(10, 'ok')]))).toHaveLength(1);
      const q = create({ kind: 'sequence', first: fail, then: ok, within: '10s' });
      expect(
        matches(
          q.process([login(0, 'fail'), new Metric('login', { result: 'ok' }, { attempts: 1 }, 10 * S + 1)]),
        ),
      ).toEqual([]);
    });

    it('should not match B without an earlier A, nor B of another key', () => {
      const p = create({ kind: 'sequence', first: fail, then: ok, within: '5m', by: ['host'] });
      expect(
        matches(p.process([login(0, 'ok'), login(1, 'fail', 'bob', 'h1'), login(2, 'ok', 'bob', 'h2')])),
      ).toEqual([]);
    });

    it('should use the earliest pending A and discard the others after a match', () => {
      const p = create({ kind: 'sequence', first: fail, then: ok, within: '5m' });
      const out = p.process([login(0, 'fail'), login(5, 'fail'), login(9, 'ok'), login(12, 'ok')]);
      expect(matches(out).map((m) => m.fields.span_s)).toEqual([9]);
    });

    it('should let B refer to the first event', () => {
      const p = create({
        kind: 'sequence',
        first: fail,
        then: `${ok} && tags.user == tags["first.user"]`,
        within: '5m',
      });
      expect(matches(p.process([login(0, 'fail', 'bob'), login(1, 'ok', 'alice')]))).toEqual([]);
      expect(matches(p.process([login(2, 'ok', 'bob')])).map((m) => m.fields.span_s)).toEqual([2]);
    });
  });

  describe('absence', () => {
    it('should fire on tick when B never comes, with no further input', () => {
      const p = create({ kind: 'absence', first: fail, then: ok, within: '10s', by: ['user'] });
      expect(p.tickInterval).toBe(1000);
      p.process([login(0, 'fail'), login(0, 'fail', 'eve'), login(3, 'ok', 'eve')], 3 * S);
      expect(p.tick(9.999 * S)).toEqual([]);
      expect(p.tick(10.5 * S).map((m) => [m.tags, m.timeMs, m.fields.events, m.fields.silent_s])).toEqual([
        [{ user: 'bob', pattern: 'pattern', kind: 'absence' }, 10 * S, 1, 10],
      ]);
      expect(p.tick(70 * S)).toEqual([]);
    });

    it('should fire by event time when later events move the watermark past the deadline', () => {
      const p = create({ kind: 'absence', first: fail, then: ok, within: '10s' });
      expect(matches(p.process([login(0, 'fail'), login(9, 'other')]))).toEqual([]);
      const out = p.process([new Metric('cpu', {}, { usage: 1 }, 10 * S)]);
      expect(matches(out).map((m) => [m.timeMs, m.fields.first])).toEqual([
        [10 * S, 'login,host=h1,result=fail,user=bob attempts=1 0'],
      ]);
    });
  });

  describe('deadman', () => {
    it('should fire once for a key silent for the limit and re-arm when it sends again', () => {
      const p = create({ kind: 'deadman', first: 'name == "heartbeat"', within: '30s', by: ['host'] });
      const beat = (host: string, t: number) => new Metric('heartbeat', { host }, { up: true }, t * S);
      const emitted: Metric[] = [];
      p.process([beat('a', 0), beat('b', 0)], 0);
      emitted.push(...p.tick(20 * S));
      p.process([beat('b', 20)], 20 * S);
      emitted.push(...p.tick(31 * S));
      expect(emitted.map((m) => [m.tags.host, m.timeMs, m.fields])).toEqual([
        ['a', 30_000, { events: 0, silent_s: 30 }],
      ]);
      emitted.push(...p.tick(91 * S));
      expect(emitted.map((m) => m.tags.host)).toEqual(['a', 'b']);
      p.process([beat('a', 91)], 91 * S);
      emitted.push(...p.tick(122 * S));
      expect(emitted.map((m) => m.tags.host)).toEqual(['a', 'b', 'a']);
    });

    it('should have no timer for sequence and count', () => {
      expect(create({ kind: 'count', first: fail }).tickInterval).toBe(0);
      expect(create({ kind: 'sequence', first: fail, then: ok }).tickInterval).toBe(0);
    });
  });

  it('should drop the oldest partial match beyond max_partial and count it', async () => {
    const ctx = testContext(patternProcessor, { clock: fixedClock });
    const p = create({ kind: 'sequence', first: fail, then: ok, within: '5m', max_partial: 2 }, ctx);
    const out = p.process([login(0, 'fail'), login(1, 'fail'), login(2, 'fail'), login(3, 'ok')]);
    expect(matches(out).map((m) => m.fields.span_s)).toEqual([2]);
    expect(await counter(ctx, 'dropped_partials')).toBe(1);
  });

  it('should count events of keys beyond max_keys and not match them', async () => {
    const ctx = testContext(patternProcessor, { clock: fixedClock });
    const p = create({ kind: 'count', first: fail, count: 1, within: '5m', by: ['user'], max_keys: 1 }, ctx);
    // count 1 matches at once and frees the key, so each user fits in turn.
    expect(matches(p.process([login(0, 'fail', 'a'), login(1, 'fail', 'b')]))).toHaveLength(2);
    const q = create({ kind: 'count', first: fail, count: 2, within: '5m', by: ['user'], max_keys: 1 }, ctx);
    expect(
      matches(q.process([login(0, 'fail', 'a'), login(1, 'fail', 'b'), login(2, 'fail', 'a')])),
    ).toHaveLength(1);
    expect(await counter(ctx, 'overflow_events')).toBe(1);
  });

  it('should reject sequence and absence without a then expression, and a bad expression', () => {
    expect(patternProcessor.config.safeParse({ kind: 'sequence', first: 'true' }).success).toBe(false);
    expect(patternProcessor.config.safeParse({ kind: 'count', first: 'tags.x ==' }).success).toBe(false);
    expect(patternProcessor.config.safeParse({ kind: 'deadman', first: 'true' }).success).toBe(true);
  });
});
