/**
 * InfluxDB 1.x helpers for the integration tests: InfluxQL over /query with numbers kept as their
 * exact decimal text (a 19-digit nanosecond timestamp does not fit a double).
 */
import { serviceAddresses } from '../../setup/services.ts';

/** The test InfluxDB's base URL. */
export const influxUrl = (): string => serviceAddresses().influxUrl;

/** A database name no other test uses. */
export function uniqueDatabase(prefix: string): string {
  return `${prefix}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
}

/** One series of a query result; numbers are their exact decimal text. */
export interface Series {
  name: string;
  columns: string[];
  values: (string | boolean | null)[][];
}

/** Runs InfluxQL (epoch=ns); numbers come back as the exact text InfluxDB sent. */
export async function influxQuery(q: string, db?: string): Promise<Series[]> {
  const url = new URL('/query', influxUrl());
  url.searchParams.set('q', q);
  url.searchParams.set('epoch', 'ns');
  if (db !== undefined) url.searchParams.set('db', db);
  const res = await fetch(url, { method: 'POST' });
  const text = await res.text();
  const body = JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined ? context.source : value,
  ) as { results: { series?: Series[]; error?: string }[]; error?: string };
  const result = body.results?.[0];
  if (body.error !== undefined || result?.error !== undefined)
    throw new Error(`${q}: ${body.error ?? result?.error}`);
  return result?.series ?? [];
}

/** Rows of one measurement as objects keyed by column. */
export async function influxRows(
  db: string,
  measurement: string,
): Promise<Record<string, string | boolean | null>[]> {
  const series = await influxQuery(`SELECT * FROM "${measurement}"`, db);
  return series.flatMap((s) => s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]]))));
}

/** Drops a database (cleanup). */
export async function dropDatabase(db: string): Promise<void> {
  await influxQuery(`DROP DATABASE "${db}"`);
}
