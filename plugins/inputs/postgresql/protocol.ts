/**
 * Messages of the PostgreSQL frontend/backend protocol v3 that the client sends and reads, and
 * the types of what a connection returns.
 */
import type tls from 'node:tls';

/** Where and as whom to connect. */
export interface PgConnectOptions {
  host: string;
  port: number;
  /** Unix socket directory; when set, host is ignored. */
  socketDir?: string;
  user: string;
  password?: string;
  database: string;
  applicationName?: string;
  connectTimeoutMs: number;
  /** TLS: off, or on with these options (sslmode=require skips verification). */
  tls?: tls.ConnectionOptions;
  /** Go on without TLS when the server refuses it (sslmode=prefer). */
  tlsOptional?: boolean;
}

/** A column of a result. */
export interface PgField {
  name: string;
  typeOid: number;
}

/** One statement's result: columns, rows of text values (null for SQL NULL), command tag. */
export interface PgResult {
  fields: PgField[];
  rows: (string | null)[][];
  command: string;
}

/** An ErrorResponse from the server, with its SQLSTATE code. */
export class PgError extends Error {
  readonly code: string;
  readonly severity: string;
  constructor(fields: Map<string, string>) {
    super(fields.get('M') ?? 'unknown server error');
    this.name = 'PgError';
    this.code = fields.get('C') ?? '';
    this.severity = fields.get('S') ?? '';
  }
}

const PROTOCOL_3 = 196608;
/** The SSLRequest code. */
export const SSL_REQUEST = 80877103;

/** A typed message out: type byte, int32 length, body. */
export function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

export const cstr = (s: string): Buffer => Buffer.from(s + '\0', 'utf8');

export function startupMessage(o: PgConnectOptions): Buffer {
  // UTC so timestamptz values read the same whatever the server's time zone.
  const params = ['user', o.user, 'database', o.database, 'client_encoding', 'UTF8', 'TimeZone', 'UTC'];
  if (o.applicationName !== undefined) params.push('application_name', o.applicationName);
  const body = Buffer.concat([...params.map(cstr), Buffer.from([0])]);
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(PROTOCOL_3, 4);
  return Buffer.concat([head, body]);
}

/** Reads a NUL-terminated string at `at`; returns it and the index after the NUL. */
export function readCString(b: Buffer, at: number): [string, number] {
  const end = b.indexOf(0, at);
  const e = end === -1 ? b.length : end;
  return [b.toString('utf8', at, e), e + 1];
}

export function errorFields(body: Buffer): Map<string, string> {
  const m = new Map<string, string>();
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i]);
    const [v, next] = readCString(body, i + 1);
    m.set(code, v);
    i = next;
  }
  return m;
}

export function rowDescription(body: Buffer): PgField[] {
  const n = body.readInt16BE(0);
  const fields: PgField[] = [];
  let i = 2;
  for (let k = 0; k < n; k++) {
    const [name, next] = readCString(body, i);
    fields.push({ name, typeOid: body.readInt32BE(next + 6) });
    i = next + 18;
  }
  return fields;
}

export function dataRow(body: Buffer): (string | null)[] {
  const n = body.readInt16BE(0);
  const row: (string | null)[] = new Array<string | null>(n);
  let i = 2;
  for (let k = 0; k < n; k++) {
    const len = body.readInt32BE(i);
    i += 4;
    if (len < 0) row[k] = null;
    else {
      row[k] = body.toString('utf8', i, i + len);
      i += len;
    }
  }
  return row;
}
