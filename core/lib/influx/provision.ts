/**
 * InfluxDB 1.x provisioning: a database, its retention policies and continuous queries made to
 * match a spec, idempotently. Applying the same spec twice changes nothing; a retention policy
 * whose duration, shard duration, replication or default flag differs is ALTERed (its data stays);
 * a continuous query whose text differs is dropped and created again (InfluxQL has no ALTER
 * CONTINUOUS QUERY). Retention policies and continuous queries the spec does not name are left
 * alone. The caller sends the InfluxQL (`query`), so this module knows no HTTP.
 *
 * InfluxDB stores a continuous query in a normalized form (identifiers unquoted where possible,
 * measurements qualified with the database and its default retention policy at creation), so the
 * spec's text cannot be compared with SHOW CONTINUOUS QUERIES directly. When a query of that name
 * exists, the spec's query is created once under a probe name, read back normalized and dropped;
 * the two normalized texts are compared.
 */
import { ErrorCode } from '../../model/errors/codes.ts';
import { VivaError } from '../../model/errors/errors.ts';

/** One retention policy; durations in ms (duration 0: infinite; shardDuration 0: the server's choice). */
export interface RetentionPolicySpec {
  name: string;
  duration: number;
  shardDuration: number;
  replication: number;
  default: boolean;
}

/** One continuous query: its SELECT ... INTO ... GROUP BY time(...) and optional RESAMPLE. */
export interface ContinuousQuerySpec {
  name: string;
  query: string;
  resampleEvery: number;
  resampleFor: number;
}

export interface ProvisionSpec {
  database: string;
  retentionPolicies: RetentionPolicySpec[];
  continuousQueries: ContinuousQuerySpec[];
}

/** What one apply did, by object name. */
export interface ProvisionResult {
  created: string[];
  altered: string[];
  recreated: string[];
  unchanged: string[];
}

/** One InfluxQL statement's result: rows of the first series, or the server's error. */
export interface QueryResult {
  series: { name?: string; columns: string[]; values?: unknown[][] }[];
}

/** Sends one InfluxQL statement; rejects on a transport error or an error in the answer. */
export type RunQuery = (q: string) => Promise<QueryResult>;

/** `"name"` with `"` and `\` escaped. */
export function ident(name: string): string {
  return '"' + name.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** ms as an InfluxQL duration literal (whole seconds, or ms below that). */
export function influxDuration(ms: number): string {
  if (ms === 0) return 'INF';
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
}

/** A Go duration as SHOW RETENTION POLICIES prints it ("168h0m0s", "0s", "1h30m0s") in ms. */
export function parseGoDuration(text: string): number {
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)/g)) {
    const unit = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, µs: 1e-3, us: 1e-3, ns: 1e-6 }[m[2]] ?? 0;
    ms += Number(m[1]) * unit;
  }
  return ms;
}

/** The CREATE CONTINUOUS QUERY statement of a spec. */
export function createCqStatement(db: string, cq: ContinuousQuerySpec, name = cq.name): string {
  let resample = '';
  if (cq.resampleEvery > 0 || cq.resampleFor > 0) {
    resample = ' RESAMPLE';
    if (cq.resampleEvery > 0) resample += ` EVERY ${influxDuration(cq.resampleEvery)}`;
    if (cq.resampleFor > 0) resample += ` FOR ${influxDuration(cq.resampleFor)}`;
  }
  return `CREATE CONTINUOUS QUERY ${ident(name)} ON ${ident(db)}${resample} BEGIN ${cq.query.trim()} END`;
}

interface ExistingRp {
  duration: number;
  shardDuration: number;
  replication: number;
  default: boolean;
}

async function existingRps(run: RunQuery, db: string): Promise<Map<string, ExistingRp>> {
  const res = await run(`SHOW RETENTION POLICIES ON ${ident(db)}`);
  const out = new Map<string, ExistingRp>();
  const s = res.series[0];
  if (s === undefined) return out;
  const col = (n: string): number => s.columns.indexOf(n);
  for (const row of s.values ?? [])
    out.set(String(row[col('name')]), {
      duration: parseGoDuration(String(row[col('duration')])),
      shardDuration: parseGoDuration(String(row[col('shardGroupDuration')])),
      replication: Number(row[col('replicaN')]),
      default: row[col('default')] === true,
    });
  return out;
}

/** The database's continuous queries: name → normalized CREATE statement. */
async function existingCqs(run: RunQuery, db: string): Promise<Map<string, string>> {
  const res = await run('SHOW CONTINUOUS QUERIES');
  const out = new Map<string, string>();
  for (const s of res.series) {
    if (s.name !== db) continue;
    const q = s.columns.indexOf('query');
    const n = s.columns.indexOf('name');
    for (const row of s.values ?? []) out.set(String(row[n]), String(row[q]));
  }
  return out;
}

/** The clauses of ALTER RETENTION POLICY that make `have` what `want` says ('' when nothing differs). */
function rpChanges(want: RetentionPolicySpec, have: ExistingRp): string {
  let c = '';
  if (want.duration !== have.duration) c += ` DURATION ${influxDuration(want.duration)}`;
  if (want.shardDuration > 0 && want.shardDuration !== have.shardDuration)
    c += ` SHARD DURATION ${influxDuration(want.shardDuration)}`;
  if (want.replication !== have.replication) c += ` REPLICATION ${want.replication}`;
  if (want.default && !have.default) c += ' DEFAULT';
  return c;
}

async function applyRps(run: RunQuery, spec: ProvisionSpec, out: ProvisionResult): Promise<void> {
  const db = ident(spec.database);
  const have = await existingRps(run, spec.database);
  for (const rp of spec.retentionPolicies) {
    const label = `retention policy ${rp.name}`;
    const cur = have.get(rp.name);
    if (cur === undefined) {
      const shard = rp.shardDuration > 0 ? ` SHARD DURATION ${influxDuration(rp.shardDuration)}` : '';
      await run(
        `CREATE RETENTION POLICY ${ident(rp.name)} ON ${db} DURATION ${influxDuration(rp.duration)} REPLICATION ${rp.replication}${shard}${rp.default ? ' DEFAULT' : ''}`,
      );
      out.created.push(label);
      continue;
    }
    const changes = rpChanges(rp, cur);
    if (changes === '') out.unchanged.push(label);
    else {
      await run(`ALTER RETENTION POLICY ${ident(rp.name)} ON ${db}${changes}`);
      out.altered.push(label);
    }
  }
}

/** The normalized form InfluxDB gives the spec's query, via a short-lived probe query. */
async function normalized(run: RunQuery, db: string, cq: ContinuousQuerySpec): Promise<string> {
  const probe = `viva_probe_${process.pid}_${Date.now()}`;
  await run(createCqStatement(db, cq, probe));
  try {
    return withoutName((await existingCqs(run, db)).get(probe) ?? '');
  } finally {
    await run(`DROP CONTINUOUS QUERY ${ident(probe)} ON ${ident(db)}`);
  }
}

/** A statement from SHOW CONTINUOUS QUERIES without its name (what follows " ON "). */
function withoutName(text: string): string {
  return text.replace(/^CREATE CONTINUOUS QUERY (?:"(?:[^"\\]|\\.)*"|\S+) ON /, '');
}

async function applyCqs(run: RunQuery, spec: ProvisionSpec, out: ProvisionResult): Promise<void> {
  const db = spec.database;
  const have = await existingCqs(run, db);
  for (const cq of spec.continuousQueries) {
    const label = `continuous query ${cq.name}`;
    const cur = have.get(cq.name);
    if (cur === undefined) {
      await run(createCqStatement(db, cq));
      out.created.push(label);
      continue;
    }
    if ((await normalized(run, db, cq)) === withoutName(cur)) {
      out.unchanged.push(label);
      continue;
    }
    await run(`DROP CONTINUOUS QUERY ${ident(cq.name)} ON ${ident(db)}`);
    await run(createCqStatement(db, cq));
    out.recreated.push(label);
  }
}

/** Makes the server match `spec`: the database, then its retention policies, then its continuous queries. */
export async function provision(run: RunQuery, spec: ProvisionSpec): Promise<ProvisionResult> {
  const out: ProvisionResult = { created: [], altered: [], recreated: [], unchanged: [] };
  try {
    await run(`CREATE DATABASE ${ident(spec.database)}`);
    await applyRps(run, spec, out);
    await applyCqs(run, spec, out);
  } catch (e) {
    throw new VivaError(
      ErrorCode.INFLUX_PROVISION,
      `provisioning database "${spec.database}": ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return out;
}
