/**
 * A TCP server for line-oriented listeners: one LineSplitter per connection, each chunk read
 * handed on as whole-line regions, reads paused while the pipeline pushes back, a bound on
 * connections and an idle read timeout. Each connection is independent, so a slow or stalled
 * client never holds up the others.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { LineSplitter } from './splitter.ts';

/** Options of a TcpLineServer. */
export interface TcpLineServerOptions {
  host: string;
  port: number;
  /** 0 = unlimited. */
  maxConnections: number;
  /** Close a connection idle this long (ms); 0 = never. */
  readTimeoutMs: number;
  maxLineLength: number;
  /** Line protocol splitting (a quoted string may hold a newline). */
  quoteAware: boolean;
  /** Enable TCP keep-alive probes with this initial delay (ms); 0 = off. */
  keepAliveMs: number;
  log: Logger;
  /** Complete lines of one connection; false asks to pause reading until capacity returns. */
  onRegion(region: Buffer, peer: string): boolean;
  /** Lines skipped for exceeding maxLineLength. */
  onOverlong(count: number, peer: string): void;
  /** A connection refused because maxConnections was reached. */
  onRefused(peer: string): void;
  waitForCapacity(): Promise<void>;
}

/** The per-connection reading loop. */
class Connection {
  private readonly socket: net.Socket;
  private readonly opts: TcpLineServerOptions;
  private readonly splitter: LineSplitter;
  readonly peer: string;

  constructor(socket: net.Socket, opts: TcpLineServerOptions) {
    this.socket = socket;
    this.opts = opts;
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.splitter = new LineSplitter(opts.maxLineLength, opts.quoteAware);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err) => opts.log.debug({ peer: this.peer, err: err.message }, 'connection error'));
    if (opts.readTimeoutMs > 0) {
      socket.setTimeout(opts.readTimeoutMs, () => {
        opts.log.debug({ peer: this.peer }, 'closing idle connection');
        socket.destroy();
      });
    }
    if (opts.keepAliveMs > 0) socket.setKeepAlive(true, opts.keepAliveMs);
  }

  private deliver(regions: Buffer[], overlong: number): void {
    if (overlong > 0) this.opts.onOverlong(overlong, this.peer);
    let open = true;
    for (let i = 0; i < regions.length; i++) {
      try {
        open = this.opts.onRegion(regions[i], this.peer) && open;
      } catch {
        // An output's buffer could not store these lines (e.g. a full disk): that output counted
        // and logged the drop; the stream has no answer channel, and the connection goes on.
      }
    }
    if (!open && !this.socket.destroyed) {
      this.socket.pause();
      this.opts.waitForCapacity().then(
        () => {
          if (!this.socket.destroyed) this.socket.resume();
        },
        () => undefined,
      );
    }
  }

  private onData(chunk: Buffer): void {
    const r = this.splitter.push(chunk);
    this.deliver(r.regions, r.overlong);
  }

  private onEnd(): void {
    const r = this.splitter.flush();
    this.deliver(r.regions, r.overlong);
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Listens for TCP connections and feeds their lines to `onRegion`. */
export class TcpLineServer {
  private readonly opts: TcpLineServerOptions;
  private server: net.Server | undefined;
  private readonly conns = new Set<Connection>();

  constructor(opts: TcpLineServerOptions) {
    this.opts = opts;
  }

  /** Open connections. */
  get connections(): number {
    return this.conns.size;
  }

  /** Listens; resolves with the bound port. */
  async start(): Promise<number> {
    const server = net.createServer({ noDelay: true }, (socket) => {
      const c = new Connection(socket, this.opts);
      this.conns.add(c);
      socket.on('close', () => this.conns.delete(c));
    });
    if (this.opts.maxConnections > 0) server.maxConnections = this.opts.maxConnections;
    server.on('drop', (d) => this.opts.onRefused(`${d?.remoteAddress ?? '?'}:${d?.remotePort ?? 0}`));
    server.on('error', (err) => this.opts.log.error({ err: err.message }, 'tcp listener error'));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    return typeof addr === 'object' && addr !== null ? addr.port : this.opts.port;
  }

  /** Stops accepting and closes every connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const c of this.conns) c.destroy();
    this.conns.clear();
    await closed;
  }
}
