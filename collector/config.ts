/**
 * The collector's config sections, validated with the agent's (same TOML, same loader): [collector]
 * (ingest and spool), [[routes]] and [[destinations]]. Outputs and processors are the agent's
 * plugin tables, referred to by alias; `crossCheck` verifies every reference once the plugin
 * tables are known.
 */
import { z } from 'zod';
import { duration, size } from '../core/config/duration.ts';
import { secret } from '../core/config/secret.ts';
import type { ValidConfig } from '../core/config/validate.ts';
import { exprSchema } from '../core/lib/expr/index.ts';
import { ErrorCode } from '../core/model/errors/codes.ts';
import { ConfigError, type ConfigIssue } from '../core/model/errors/errors.ts';
import { fleetSection } from './fleet/config.ts';

const globs = z.array(z.string()).optional();
const tagGlobs = z.record(z.string(), z.array(z.string())).optional();

export const collectorObject = z.strictObject({
  listen: z.string().default('127.0.0.1:8470').describe('Address agents send batches to (host:port).'),
  admin_listen: z
    .string()
    .default('127.0.0.1:9274')
    .describe(
      'Address of /metrics, /health, /ready, /admin/reload, /api/fleet and the ops dashboard /dashboard ("" disables); token and TLS from [agent] http_auth_token, http_tls_cert, http_tls_key.',
    ),
  tls_cert: z.string().optional().describe('PEM certificate file: serve ingest over TLS.'),
  tls_key: z.string().optional().describe('PEM key file for tls_cert.'),
  tokens: z
    .record(z.string(), secret)
    .default({})
    .describe(
      'Agent tokens by name: a batch needs `Authorization: Bearer <one of them>`. Empty: no auth (a warning is logged).',
    ),
  max_connections: z
    .number()
    .int()
    .positive()
    .default(1024)
    .describe('Connections served at once; more are closed at once (counted, logged throttled).'),
  max_body_size: size.prefault('64MiB').describe('Largest batch accepted, compressed or not (413 above).'),
  spool_dir: z.string().default('').describe('Directory of the spool; empty means <data_dir>/spool.'),
  spool_max_bytes: size
    .prefault('10GiB')
    .describe('Size bound of the spool; what happens when it is reached is spool_full_policy.'),
  spool_max_age: duration
    .prefault('0s')
    .describe(
      'Age bound of the spool: segments whose batches were all appended longer ago are deleted, read or not (0 = no age bound).',
    ),
  spool_full_policy: z
    .enum(['refuse', 'drop_oldest'])
    .default('refuse')
    .describe(
      'At spool_max_bytes: refuse (ingest answers 429 + Retry-After until destinations catch up) or drop_oldest (delete the oldest segments, even unread ones; counted and logged).',
    ),
  spool_fsync: z
    .enum(['always', 'interval', 'never'])
    .default('always')
    .describe(
      'always: a batch is acknowledged after an fsync (group commit); interval: after the write, fsync every spool_fsync_interval; never: at close only.',
    ),
  spool_fsync_interval: duration.prefault('1s').describe('fsync period when spool_fsync = "interval".'),
  retry_after: duration.prefault('1s').describe('Retry-After sent with a 429 when the spool is full.'),
  dedup_window: z
    .number()
    .int()
    .nonnegative()
    .default(4096)
    .describe(
      'Batch ids remembered per agent: a batch sent again is acknowledged and counted, not spooled twice.',
    ),
  dead_letter_dir: z
    .string()
    .default('')
    .describe('Directory of the dead-letter files; empty means <data_dir>/dead-letter.'),
  dead_letter_max_bytes: size
    .prefault('1GiB')
    .describe('Per destination; beyond it dead letters are dropped, counted.'),
  fleet: fleetSection.describe('Fleet registry and central configuration (docs/FLEET.md; table below).'),
});

export const collectorSection = collectorObject.prefault({});

export const routeSchema = z.strictObject({
  name: z.string().min(1).describe('Route name (metrics and logs).'),
  namepass: globs.describe('Match metrics whose name matches one of these globs.'),
  namedrop: globs.describe('Do not match metrics whose name matches one of these globs.'),
  tagpass: tagGlobs.describe('Match metrics with a tag matching (tag key -> value globs).'),
  tagdrop: tagGlobs.describe('Do not match metrics with a tag matching.'),
  agents: globs.describe('Match only batches from these agent ids (globs).'),
  where: exprSchema.optional().describe('Match only metrics for which this expression is true.'),
  destinations: z
    .array(z.string())
    .default([])
    .describe('Destinations (names) that get the matched metrics.'),
  processors: z
    .array(z.string())
    .default([])
    .describe('Aliases of [[processors.*]] tables run on this route, in order.'),
  continue: z
    .boolean()
    .default(false)
    .describe('Also try the following routes for a matched metric (fan-out).'),
  drop: z.boolean().default(false).describe('Matched metrics go nowhere (counted as dropped by this route).'),
});

export const breakerSchema = z
  .strictObject({
    failures: z
      .number()
      .int()
      .positive()
      .default(3)
      .describe('Consecutive failed writes that open the breaker.'),
    open_for: duration
      .prefault('30s')
      .describe('How long an open breaker refuses writes before a half-open probe.'),
    max_open_for: duration.prefault('5m').describe('open_for doubles after every failed probe, up to this.'),
  })
  .prefault({});

export const destinationSchema = z.strictObject({
  name: z.string().min(1).describe('Destination name, used by routes.'),
  outputs: z
    .array(z.string())
    .min(1)
    .describe('Aliases of [[outputs.*]] tables in priority order: the first healthy one gets the data.'),
  breaker: breakerSchema,
  batch_size: z.number().int().positive().default(5000).describe('Metrics per write.'),
  read_bytes: size.prefault('8MiB').describe('Spool bytes read at a time.'),
  start_at: z
    .enum(['oldest', 'newest'])
    .default('oldest')
    .describe('Where a new destination starts in the spool (an existing one resumes where it was).'),
  dead_letter: z
    .boolean()
    .default(true)
    .describe('Write metrics an output refuses for good to the dead-letter file.'),
});

export type CollectorSettings = z.output<typeof collectorSection>;
export type RouteConfig = z.output<typeof routeSchema>;
export type DestinationConfig = z.output<typeof destinationSchema>;

/** The extra sections the agent's validator checks for a collector config. */
export const collectorSections: Record<string, z.ZodType> = {
  collector: collectorSection,
  routes: z.array(routeSchema).default([]),
  destinations: z.array(destinationSchema).default([]),
};

export interface CollectorConfig {
  base: ValidConfig;
  collector: CollectorSettings;
  routes: RouteConfig[];
  destinations: DestinationConfig[];
}

/** Alias of a plugin table (the label without its section when no alias is given). */
export function aliasOf(label: string, alias: string | undefined): string {
  return alias ?? label.replace(/^(outputs|processors|inputs)\./, '');
}

/**
 * Checks what one section cannot: unique names, every route's destinations and processors
 * exist, every destination's outputs exist and belong to one destination only, every output is
 * used. Throws one ConfigError listing every problem.
 */
export function crossCheck(base: ValidConfig): CollectorConfig {
  const collector = base.extra.collector as CollectorSettings;
  const routes = (base.extra.routes as RouteConfig[] | undefined) ?? [];
  const destinations = (base.extra.destinations as DestinationConfig[] | undefined) ?? [];
  const issues: ConfigIssue[] = [];
  const file = base.files[0];
  const outputs = new Map(base.outputs.map((o) => [aliasOf(o.id.label, o.id.alias), o]));
  const processors = new Map(base.processors.map((p) => [aliasOf(p.id.label, p.id.alias), p]));
  const destNames = new Set<string>();
  const owner = new Map<string, string>();
  destinations.forEach((d, i) => {
    const where = `destinations[${i}]`;
    if (destNames.has(d.name))
      issues.push({ file, path: `${where}.name`, message: `two destinations are named "${d.name}"` });
    destNames.add(d.name);
    d.outputs.forEach((alias, k) => {
      if (!outputs.has(alias))
        issues.push({
          file,
          path: `${where}.outputs[${k}]`,
          message: `no [[outputs.*]] table has alias "${alias}" (known: ${[...outputs.keys()].join(', ') || 'none'})`,
        });
      else if (owner.has(alias))
        issues.push({
          file,
          path: `${where}.outputs[${k}]`,
          message: `output "${alias}" is already in destination "${owner.get(alias)}"`,
        });
      else owner.set(alias, d.name);
    });
  });
  for (const alias of outputs.keys())
    if (!owner.has(alias))
      issues.push({
        file,
        plugin: outputs.get(alias)?.id.label,
        message: `output "${alias}" is in no [[destinations]]`,
      });
  const routeNames = new Set<string>();
  const usedProcessors = new Set<string>();
  routes.forEach((r, i) => {
    const where = `routes[${i}]`;
    if (routeNames.has(r.name))
      issues.push({ file, path: `${where}.name`, message: `two routes are named "${r.name}"` });
    routeNames.add(r.name);
    if (!r.drop && r.destinations.length === 0)
      issues.push({ file, path: where, message: 'a route needs destinations, or drop = true' });
    if (r.drop && r.destinations.length > 0)
      issues.push({ file, path: where, message: 'a drop route has no destinations' });
    r.destinations.forEach((d, k) => {
      if (!destNames.has(d))
        issues.push({
          file,
          path: `${where}.destinations[${k}]`,
          message: `no destination is named "${d}" (known: ${[...destNames].join(', ') || 'none'})`,
        });
    });
    r.processors.forEach((p, k) => {
      if (!processors.has(p))
        issues.push({
          file,
          path: `${where}.processors[${k}]`,
          message: `no [[processors.*]] table has alias "${p}" (known: ${[...processors.keys()].join(', ') || 'none'})`,
        });
      usedProcessors.add(p);
    });
  });
  for (const alias of processors.keys())
    if (!usedProcessors.has(alias))
      issues.push({
        file,
        plugin: processors.get(alias)?.id.label,
        message: `processor "${alias}" is on no route (a collector runs processors per route)`,
      });
  if (routes.length === 0 && destinations.length > 0)
    issues.push({ file, path: 'routes', message: 'no [[routes]]: nothing would reach the destinations' });
  if (issues.length > 0) throw new ConfigError(ErrorCode.CONFIG_INVALID, issues);
  return { base, collector, routes, destinations };
}
