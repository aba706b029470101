/**
 * A UDP socket for datagram listeners: each datagram is handed on whole. While the pipeline
 * pushes back, datagrams are dropped (UDP cannot be paused) and the drops are counted and
 * reported once a second, not once per datagram.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';

/** Options of a UdpServer. */
export interface UdpServerOptions {
  host: string;
  port: number;
  /** SO_RCVBUF in bytes; 0 keeps the system default. */
  readBufferSize: number;
  log: Logger;
  /** True while datagrams must be dropped (the pipeline is saturated). */
  saturated(): boolean;
  onDatagram(msg: Buffer, peer: string): void;
  /** Datagrams dropped under saturation since the last report. */
  onDropped(count: number): void;
}

const REPORT_MS = 1000;

export class UdpServer {
  private readonly opts: UdpServerOptions;
  private socket: dgram.Socket | undefined;
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: UdpServerOptions) {
    this.opts = opts;
  }

  /** Binds; resolves with the bound port. */
  async start(): Promise<number> {
    const type = net.isIPv6(this.opts.host) ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, reuseAddr: false });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      if (this.opts.saturated()) {
        this.dropped++;
        return;
      }
      try {
        this.opts.onDatagram(msg, `${rinfo.address}:${rinfo.port}`);
      } catch {
        // An output's buffer could not store it (e.g. a full disk): that output counted and logged
        // the drop; a datagram has nobody to answer, and the listener goes on.
      }
    });
    socket.on('error', (err) => this.opts.log.error({ err: err.message }, 'udp listener error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.opts.port, this.opts.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    if (this.opts.readBufferSize > 0) {
      try {
        socket.setRecvBufferSize(this.opts.readBufferSize);
      } catch (e) {
        this.opts.log.warn(
          { err: e instanceof Error ? e.message : String(e) },
          'could not set the UDP receive buffer size',
        );
      }
    }
    this.timer = setInterval(() => this.report(), REPORT_MS);
    this.timer.unref();
    return socket.address().port;
  }

  private report(): void {
    if (this.dropped === 0) return;
    const n = this.dropped;
    this.dropped = 0;
    this.opts.onDropped(n);
  }

  /** Closes the socket and reports the last drops. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.report();
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
