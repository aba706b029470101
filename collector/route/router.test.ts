import { describe, expect, it } from 'vitest';
import { Metric } from '../../core/model/metric/metric.ts';
import { routeSchema } from '../config.ts';
import { Router } from './router.ts';

const m = (name: string, tags: Record<string, string> = {}, v = 1): Metric =>
  new Metric(name, tags, { v }, 0);
const routes = (...r: object[]) => r.map((x) => routeSchema.parse(x));

describe('Router', () => {
  it('sends a metric to the first route that matches it, and the rest to the default route', () => {
    const r = new Router(
      routes(
        { name: 'cpu', namepass: ['cpu*'], destinations: ['tsdb'] },
        { name: 'default', destinations: ['archive'] },
      ),
    );
    const out = r.route([m('cpu'), m('cpu_total'), m('mem')], 'a1', null);
    expect(out.byRoute[0].map((x) => x.name)).toEqual(['cpu', 'cpu_total']);
    expect(out.byRoute[1].map((x) => x.name)).toEqual(['mem']);
    expect(out.unrouted).toBe(0);
  });

  it('fans out with continue, ends at a drop route, counts what no route matched', () => {
    const r = new Router(
      routes(
        { name: 'all-cpu', namepass: ['cpu'], destinations: ['a'], continue: true },
        { name: 'noisy', tagpass: { env: ['dev'] }, drop: true },
        { name: 'cpu-prod', namepass: ['cpu'], destinations: ['b'] },
      ),
    );
    const out = r.route([m('cpu', { env: 'prod' }), m('cpu', { env: 'dev' }), m('disk')], 'a1', null);
    expect(out.byRoute[0]).toHaveLength(2);
    expect(out.dropped[1]).toBe(1);
    expect(out.byRoute[2].map((x) => x.tags.env)).toEqual(['prod']);
    expect(out.unrouted).toBe(1);
  });

  it('matches the sending agent by glob and metrics by expression', () => {
    const r = new Router(
      routes(
        { name: 'web', agents: ['web-*'], where: 'fields.v > 5', destinations: ['a'] },
        { name: 'rest', destinations: ['b'] },
      ),
    );
    expect(r.route([m('x', {}, 9), m('x', {}, 1)], 'web-1', null).byRoute[0]).toHaveLength(1);
    expect(r.route([m('x', {}, 9)], 'db-1', null).byRoute[0]).toHaveLength(0);
    expect(r.route([m('x', {}, 9)], 'db-1', null).byRoute[1]).toHaveLength(1);
  });

  it('collects only the routes asked for, still applying first-match', () => {
    const r = new Router(routes({ name: 'one', destinations: ['a'] }, { name: 'two', destinations: ['b'] }));
    const out = r.route([m('x')], 'a1', new Set([1]));
    expect(out.byRoute[0]).toHaveLength(0);
    expect(out.byRoute[1]).toHaveLength(0);
    expect(r.routesTo('b').map((x) => x.name)).toEqual(['two']);
  });

  it('plans a whole batch from its agent alone when no route on its way looks at the metrics', () => {
    const r = new Router(
      routes(
        { name: 'quiet', agents: ['lab-*'], drop: true },
        { name: 'edge', agents: ['edge-*'], destinations: ['a'], continue: true },
        { name: 'cpu', namepass: ['cpu'], destinations: ['b'] },
        { name: 'rest', agents: ['web-*'], destinations: ['b'] },
      ),
    );
    expect(r.planFor('lab-1', null)).toEqual({ to: [], droppedBy: 0, unrouted: false });
    // edge-1 goes on past "edge" to "cpu", which looks at names: no plan.
    expect(r.planFor('edge-1', null)).toBeNull();
    expect(r.planFor('web-1', null)).toBeNull();
    const agentsOnly = new Router(
      routes(
        { name: 'quiet', agents: ['lab-*'], drop: true },
        { name: 'web', agents: ['web-*'], destinations: ['b'] },
      ),
    );
    expect(agentsOnly.planFor('web-1', new Set([1]))?.to.map((x) => x.name)).toEqual(['web']);
    expect(agentsOnly.planFor('web-1', new Set<number>())?.to).toEqual([]);
    expect(agentsOnly.planFor('db-1', null)).toEqual({ to: [], droppedBy: -1, unrouted: true });
  });
});
