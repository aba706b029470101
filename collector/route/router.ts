/**
 * Routes: ordered rules that match a metric by name, tags, the sending agent and an expression.
 * A metric goes to the first route that matches it; a route with `continue` lets it go on to the
 * following routes too (fan-out); a `drop` route ends it there; a route with no matcher matches
 * everything (a default route, put last). Metrics no route matches are counted as unrouted.
 */
import { compileFilter } from '../../core/engine/filter/filter.ts';
import { compileGlobs, type GlobSet } from '../../core/engine/filter/glob.ts';
import { compileExpression, type CompiledExpression } from '../../core/lib/expr/index.ts';
import type { Metric } from '../../core/model/metric/metric.ts';
import type { RouteConfig } from '../config.ts';

export interface CompiledRoute {
  readonly name: string;
  readonly index: number;
  readonly destinations: ReadonlySet<string>;
  readonly processors: readonly string[];
  readonly continue: boolean;
  readonly drop: boolean;
  /** True when the route takes batches from this agent at all. */
  acceptsAgent(agent: string): boolean;
  /** True when the metric matches the route's name, tag and expression rules. */
  select(m: Metric): boolean;
  /** True when `select` is true for every metric (no name, tag or expression rule). */
  readonly matchesAll: boolean;
}

/**
 * How every metric of a batch from one agent is routed, known without looking at a metric: the
 * routes (of those wanted) that get all of them, the route that drops all of them, or none.
 */
export interface BatchPlan {
  /** Wanted routes that get every metric, in order. */
  readonly to: readonly CompiledRoute[];
  /** Index of the route that drops every metric, or -1. */
  readonly droppedBy: number;
  /** True when no route matches any metric. */
  readonly unrouted: boolean;
}

/** What routing a batch gave: per route, the metrics it matched; the counts that went nowhere. */
export interface Routed {
  /** Indexed by route index; empty arrays for routes that matched nothing. */
  byRoute: Metric[][];
  dropped: number[];
  unrouted: number;
}

function compileRoute(cfg: RouteConfig, index: number): CompiledRoute {
  const filter = compileFilter({
    namepass: cfg.namepass,
    namedrop: cfg.namedrop,
    tagpass: cfg.tagpass,
    tagdrop: cfg.tagdrop,
  });
  const agents: GlobSet | undefined = cfg.agents === undefined ? undefined : compileGlobs(cfg.agents);
  const where: CompiledExpression | undefined =
    cfg.where === undefined ? undefined : compileExpression(cfg.where);
  return {
    name: cfg.name,
    index,
    destinations: new Set(cfg.destinations),
    processors: cfg.processors,
    continue: cfg.continue,
    drop: cfg.drop,
    acceptsAgent: agents === undefined ? () => true : agents,
    matchesAll: !filter.active && where === undefined,
    select:
      where === undefined
        ? (m) => !filter.active || filter.select(m)
        : (m) => (!filter.active || filter.select(m)) && where.test(m),
  };
}

export class Router {
  readonly routes: readonly CompiledRoute[];

  constructor(routes: readonly RouteConfig[]) {
    this.routes = routes.map(compileRoute);
  }

  /** The routes that send to `destination`, in order. */
  routesTo(destination: string): CompiledRoute[] {
    return this.routes.filter((r) => r.destinations.has(destination));
  }

  /**
   * The routing of every batch from `agent` when it does not depend on the metrics: each route
   * that takes this agent, up to the first that stops (no `continue`, or `drop`), matches
   * everything. Null when some route in that stretch looks at the metrics.
   */
  planFor(agent: string, wanted: ReadonlySet<number> | null): BatchPlan | null {
    const to: CompiledRoute[] = [];
    for (const r of this.routes) {
      if (!r.acceptsAgent(agent)) continue;
      if (!r.matchesAll) return null;
      if (r.drop) return { to, droppedBy: r.index, unrouted: false };
      if (wanted === null || wanted.has(r.index)) to.push(r);
      if (!r.continue) return { to, droppedBy: -1, unrouted: false };
    }
    // Every route that matched went on (continue): the metrics were routed, or none matched.
    const matched = this.routes.some((r) => r.acceptsAgent(agent));
    return { to, droppedBy: -1, unrouted: !matched };
  }

  /**
   * Routes one batch from `agent`. Only the routes in `wanted` (by index) collect their metrics;
   * the others are evaluated for the first-match rule only.
   */
  route(metrics: readonly Metric[], agent: string, wanted: ReadonlySet<number> | null): Routed {
    const n = this.routes.length;
    const byRoute: Metric[][] = new Array<Metric[]>(n);
    const dropped = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) byRoute[i] = [];
    const active = this.routes.filter((r) => r.acceptsAgent(agent));
    let unrouted = 0;
    for (const m of metrics) {
      let matched = false;
      for (const r of active) {
        if (!r.select(m)) continue;
        matched = true;
        if (r.drop) {
          dropped[r.index]++;
          break;
        }
        if (wanted === null || wanted.has(r.index)) byRoute[r.index].push(m);
        if (!r.continue) break;
      }
      if (!matched) unrouted++;
    }
    return { byRoute, dropped, unrouted };
  }
}
