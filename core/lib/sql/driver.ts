/**
 * The contract between the SQL inputs and their database drivers: one pooled connection to a
 * database that runs a statement with bound parameters under a deadline and returns columns with
 * the kind of value each holds, and rows as arrays of JavaScript values already of that kind.
 */
import type tls from 'node:tls';

/**
 * What a column holds, as far as the driver knows it: integers (number when safe, else bigint),
 * floats, booleans, strings, times (the database's own text, exact to its precision), or `auto`
 * when only the value itself tells (SQLite's storage classes: bigint, number, string, bytes).
 */
export type ColumnKind = 'int' | 'uint' | 'float' | 'bool' | 'string' | 'time' | 'auto';

/** One column of a result. */
export interface Column {
  name: string;
  kind: ColumnKind;
}

/** One cell: null for SQL NULL. */
export type Cell = null | number | bigint | boolean | string | Uint8Array;

/** The rows of one statement. */
export interface QueryResult {
  columns: Column[];
  rows: Cell[][];
}

/** A connection pool to one database. */
export interface SqlDriver {
  /** The placeholder of the `i`-th (0-based) bound parameter in this driver's SQL dialect. */
  placeholder(i: number): string;
  /** Runs one statement; rejects with the server's error or when `timeoutMs` passes. */
  query(sql: string, params: Cell[], timeoutMs: number): Promise<QueryResult>;
  /** Closes every connection. */
  close(): Promise<void>;
}

/** TLS settings shared by the network drivers. */
export interface SqlTls {
  /** PEM CA bundle; undefined: the system's trust store. */
  ca?: string;
  cert?: string;
  key?: string;
  /** What to check of the server's certificate: nothing, its chain, or its chain and name. */
  verify: 'none' | 'ca' | 'full';
}

/** Where and how to connect (network drivers). */
export interface SqlConnectOptions {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** A Unix socket (path) instead of host and port. */
  socketPath?: string;
  tls?: SqlTls;
  connectTimeoutMs: number;
  maxConnections: number;
  /** Sent to the server where the protocol has a place for it. */
  applicationName: string;
}

/** Safe integers as numbers, larger ones as bigint. */
export function intCell(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/** Node TLS options for SqlTls (keys left out rather than undefined: node:tls checks types). */
export function nodeTls(t: SqlTls): tls.ConnectionOptions {
  const o: tls.ConnectionOptions = { rejectUnauthorized: t.verify !== 'none' };
  if (t.ca !== undefined) o.ca = t.ca;
  if (t.cert !== undefined) o.cert = t.cert;
  if (t.key !== undefined) o.key = t.key;
  // verify-ca trusts any name the CA signed.
  if (t.verify === 'ca') o.checkServerIdentity = () => undefined;
  return o;
}
