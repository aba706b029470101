/**
 * A minimal PostgreSQL client over the frontend/backend protocol v3: startup, optional TLS
 * (SSLRequest), cleartext / MD5 / SCRAM-SHA-256 authentication, and the simple query protocol
 * (RowDescription, DataRow, CommandComplete, ErrorResponse, ReadyForQuery), text format values.
 * Enough to run monitoring queries; not a general driver (no extended protocol, no COPY).
 */
import net from 'node:net';
import tls from 'node:tls';
import { md5Password, ScramSession } from './auth.ts';
import {
  PgError,
  SSL_REQUEST,
  cstr,
  dataRow,
  errorFields,
  message,
  readCString,
  rowDescription,
  startupMessage,
  type PgConnectOptions,
  type PgResult,
} from './protocol.ts';

export { PgError } from './protocol.ts';
export type { PgConnectOptions, PgField, PgResult } from './protocol.ts';

type Handler = (type: number, body: Buffer) => void;

/** One open connection; queries run one at a time. */
export class PgConnection {
  private socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private handler: Handler | null = null;
  private fail: ((e: Error) => void) | null = null;
  private busy: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** ParameterStatus values the server reported (server_version, TimeZone, ...). */
  readonly parameters = new Map<string, string>();
  /** How the server had us authenticate: no password asked ('trust'), or the method it asked for. */
  authMethod: 'trust' | 'password' | 'md5' | 'scram-sha-256' = 'trust';

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.abort(e));
    socket.on('close', () => this.abort(new Error('connection closed by the server')));
  }

  /** Connects and authenticates. */
  static async connect(o: PgConnectOptions): Promise<PgConnection> {
    let socket = await openSocket(o);
    try {
      if (o.tls !== undefined) socket = await upgradeTls(socket, o);
      const conn = new PgConnection(socket);
      await conn.startup(o);
      return conn;
    } catch (e) {
      socket.destroy();
      throw e;
    }
  }

  /** True until the connection is closed or broken. */
  get open(): boolean {
    return !this.closed;
  }

  private onData(chunk: Buffer): void {
    let b = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (b.length >= 5) {
      const len = b.readInt32BE(1);
      if (b.length < len + 1) break;
      const type = b[0];
      const body = b.subarray(5, len + 1);
      b = b.subarray(len + 1);
      this.dispatch(type, body);
    }
    this.buf = b.length === 0 ? Buffer.alloc(0) : Buffer.from(b);
  }

  private dispatch(type: number, body: Buffer): void {
    switch (type) {
      case 0x53: {
        // 'S' ParameterStatus
        const [k, next] = readCString(body, 0);
        this.parameters.set(k, readCString(body, next)[0]);
        return;
      }
      case 0x4e: // 'N' NoticeResponse
      case 0x41: // 'A' NotificationResponse
        return;
    }
    if (this.handler !== null) this.handler(type, body);
    else if (type === 0x45) this.abort(new PgError(errorFields(body)));
  }

  private abort(e: Error): void {
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
    }
    const f = this.fail;
    this.fail = null;
    this.handler = null;
    f?.(e);
  }

  /** Runs a handler until it resolves; socket failures reject it. */
  private exchange<T>(
    send: Buffer | null,
    make: (resolve: (v: T) => void, reject: (e: Error) => void) => Handler,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new Error('connection is closed'));
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        this.handler = null;
        this.fail = null;
      };
      this.fail = reject;
      this.handler = make(
        (v) => {
          done();
          resolve(v);
        },
        (e) => {
          done();
          reject(e);
        },
      );
      if (send !== null) this.socket.write(send);
    });
  }

  private startup(o: PgConnectOptions): Promise<void> {
    let scram: ScramSession | undefined;
    return this.exchange<void>(startupMessage(o), (resolve, reject) => (type, body) => {
      if (type === 0x45) reject(new PgError(errorFields(body)));
      else if (type === 0x5a) resolve();
      else if (type === 0x52) {
        try {
          const reply = this.authReply(body, o, scram);
          if (reply instanceof ScramSession) scram = reply;
          else if (reply !== null) this.socket.write(reply);
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          reject(err);
          this.abort(err);
        }
      }
    });
  }

  /** Answers one Authentication message: bytes to send, a new SCRAM session, or null. */
  private authReply(
    body: Buffer,
    o: PgConnectOptions,
    scram: ScramSession | undefined,
  ): Buffer | ScramSession | null {
    const code = body.readInt32BE(0);
    const password = (): string => {
      if (o.password === undefined) throw new Error('the server asks for a password and none is configured');
      return o.password;
    };
    switch (code) {
      case 0: // AuthenticationOk
        return null;
      case 3: // cleartext
        this.authMethod = 'password';
        return message('p', cstr(password()));
      case 5: // MD5 with a 4-byte salt
        this.authMethod = 'md5';
        return message('p', cstr(md5Password(o.user, password(), body.subarray(4, 8))));
      case 10: {
        // SASL: a list of mechanisms
        const mechs: string[] = [];
        for (let i = 4; i < body.length && body[i] !== 0;) {
          const [m, next] = readCString(body, i);
          mechs.push(m);
          i = next;
        }
        if (!mechs.includes('SCRAM-SHA-256'))
          throw new Error(`no supported SASL mechanism in ${mechs.join(', ')}`);
        const session = new ScramSession(password());
        this.authMethod = 'scram-sha-256';
        const first = Buffer.from(session.first());
        const len = Buffer.alloc(4);
        len.writeInt32BE(first.length);
        this.socket.write(message('p', Buffer.concat([cstr('SCRAM-SHA-256'), len, first])));
        return session;
      }
      case 11: // SASLContinue
        if (scram === undefined) throw new Error('SASLContinue without a SASL exchange');
        return message('p', Buffer.from(scram.final(body.toString('utf8', 4))));
      case 12: // SASLFinal
        if (scram === undefined) throw new Error('SASLFinal without a SASL exchange');
        scram.verify(body.toString('utf8', 4));
        return null;
      default:
        throw new Error(`unsupported authentication method (code ${code})`);
    }
  }

  /** Runs SQL with the simple query protocol; one result per statement. */
  query(sql: string, timeoutMs = 0): Promise<PgResult[]> {
    const run = (): Promise<PgResult[]> =>
      this.exchange<PgResult[]>(message('Q', cstr(sql)), (resolve, reject) => {
        const results: PgResult[] = [];
        let cur: PgResult | null = null;
        let error: PgError | null = null;
        return (type, body) => {
          switch (type) {
            case 0x54: // 'T' RowDescription
              cur = { fields: rowDescription(body), rows: [], command: '' };
              break;
            case 0x44: // 'D' DataRow
              cur?.rows.push(dataRow(body));
              break;
            case 0x43: // 'C' CommandComplete
              (cur ??= { fields: [], rows: [], command: '' }).command = readCString(body, 0)[0];
              results.push(cur);
              cur = null;
              break;
            case 0x45: // 'E' ErrorResponse (ReadyForQuery follows)
              error = new PgError(errorFields(body));
              break;
            case 0x5a: // 'Z' ReadyForQuery
              if (error !== null) reject(error);
              else resolve(results);
              break;
          }
        };
      });
    const p = this.busy.then(run, run);
    this.busy = p.catch(() => undefined);
    if (timeoutMs <= 0) return p;
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      t = setTimeout(() => {
        // The connection is mid-query and cannot be reused; a new one is opened next time.
        this.abort(new Error(`query timed out after ${timeoutMs} ms`));
        reject(new Error(`query timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(t));
  }

  /** Sends Terminate and closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail = null;
    this.handler = null;
    const s = this.socket;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.end(message('X', Buffer.alloc(0)));
      setTimeout(() => s.destroy(), 1000).unref();
    });
  }
}

function openSocket(o: PgConnectOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      o.socketDir !== undefined
        ? net.connect(`${o.socketDir}/.s.PGSQL.${o.port}`)
        : net.connect(o.port, o.host);
    const t = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect timed out after ${o.connectTimeoutMs} ms`));
    }, o.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(t);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

/** SSLRequest, then a TLS handshake over the same socket. */
function upgradeTls(socket: net.Socket, o: PgConnectOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const req = Buffer.alloc(8);
    req.writeInt32BE(8, 0);
    req.writeInt32BE(SSL_REQUEST, 4);
    socket.once('data', (answer: Buffer) => {
      if (answer[0] !== 0x53) {
        if (o.tlsOptional === true) resolve(socket);
        else reject(new Error('the server does not accept TLS connections'));
        return;
      }
      const secure = tls.connect({
        ...o.tls,
        socket,
        servername: o.socketDir === undefined && net.isIP(o.host) === 0 ? o.host : undefined,
      });
      secure.once('secureConnect', () => {
        secure.removeAllListeners('error');
        resolve(secure);
      });
      secure.once('error', reject);
    });
    socket.once('error', reject);
    socket.write(req);
  });
}
