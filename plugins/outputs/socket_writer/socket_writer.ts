/**
 * The socket_writer output: each batch serialized and written to a TCP connection (kept open,
 * reopened after an error) or sent as UDP datagrams below max_datagram_size. A failed write is a
 * retryable WriteError, so the core retries with backoff; retries may duplicate what a broken
 * TCP connection had already delivered (at least once).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { WriteError } from '../../../core/model/errors/errors.ts';
import type { Serializer } from '../../../core/format/types.ts';
import { parseSocketAddress, type SocketAddress } from '../../../core/lib/listen/address.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance } from '../../../core/plugin/types.ts';
import type { SocketWriterConfig } from './config.ts';
import { packDatagrams } from './datagrams.ts';

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class SocketWriter implements OutputInstance {
  private readonly cfg: SocketWriterConfig;
  private readonly serializer: Serializer;
  private readonly log: Logger;
  private readonly addr: SocketAddress;
  private tcp: net.Socket | undefined;
  private udp: dgram.Socket | undefined;

  constructor(cfg: SocketWriterConfig, serializer: Serializer, log: Logger) {
    this.cfg = cfg;
    this.serializer = serializer;
    this.log = log;
    this.addr = parseSocketAddress(cfg.address, 'tcp');
  }

  /** Connects once; a failure is logged and the first write tries again. */
  async connect(): Promise<void> {
    try {
      if (this.addr.protocol === 'tcp') await this.tcpSocket();
      else await this.udpSocket();
    } catch (e) {
      this.log.warn({ address: this.cfg.address, err: errText(e) }, 'socket_writer could not connect yet');
    }
  }

  private tcpSocket(): Promise<net.Socket> {
    const s = this.tcp;
    if (s !== undefined && !s.destroyed && s.writable) return Promise.resolve(s);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.addr.host, port: this.addr.port, noDelay: true });
      const t = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timed out after ${this.cfg.connect_timeout} ms`));
      }, this.cfg.connect_timeout);
      socket.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
      socket.once('connect', () => {
        clearTimeout(t);
        socket.removeAllListeners('error');
        // A peer that closes or resets marks the connection dead; the next write reconnects.
        socket.on('error', (e) => this.log.debug({ err: e.message }, 'socket_writer connection error'));
        socket.on('close', () => {
          if (this.tcp === socket) this.tcp = undefined;
        });
        socket.on('data', () => undefined);
        if (this.cfg.keep_alive_period > 0) socket.setKeepAlive(true, this.cfg.keep_alive_period);
        this.tcp = socket;
        resolve(socket);
      });
    });
  }

  private udpSocket(): Promise<dgram.Socket> {
    if (this.udp !== undefined) return Promise.resolve(this.udp);
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket(net.isIPv6(this.addr.host) ? 'udp6' : 'udp4');
      socket.once('error', reject);
      // A connected UDP socket reports ICMP port-unreachable as an error on the next send.
      socket.connect(this.addr.port, this.addr.host, () => {
        socket.removeAllListeners('error');
        socket.on('error', (e) => this.log.debug({ err: e.message }, 'socket_writer udp error'));
        this.udp = socket;
        resolve(socket);
      });
    });
  }

  async write(metrics: Metric[]): Promise<void> {
    if (this.addr.protocol === 'tcp') await this.writeTcp(metrics);
    else await this.writeUdp(metrics);
  }

  private async writeTcp(metrics: Metric[]): Promise<void> {
    const data = this.serializer.serialize(metrics);
    if (data.length === 0) return;
    let socket: net.Socket;
    try {
      socket = await this.tcpSocket();
    } catch (e) {
      throw WriteError.retryable(`cannot connect to ${this.cfg.address}: ${errText(e)}`, { cause: e });
    }
    await new Promise<void>((resolve, reject) => {
      socket.write(data, (e) => {
        if (e === undefined || e === null) resolve();
        else {
          socket.destroy();
          if (this.tcp === socket) this.tcp = undefined;
          reject(WriteError.retryable(`write to ${this.cfg.address} failed: ${errText(e)}`, { cause: e }));
        }
      });
    });
  }

  private async writeUdp(metrics: Metric[]): Promise<void> {
    const { datagrams, tooLarge } = packDatagrams(metrics, this.serializer, this.cfg.max_datagram_size);
    let socket: dgram.Socket;
    try {
      socket = await this.udpSocket();
    } catch (e) {
      throw WriteError.retryable(`cannot open a UDP socket to ${this.cfg.address}: ${errText(e)}`, {
        cause: e,
      });
    }
    for (const d of datagrams) {
      await new Promise<void>((resolve, reject) => {
        socket.send(d, (e) => {
          if (e === null || e === undefined) resolve();
          else
            reject(WriteError.retryable(`send to ${this.cfg.address} failed: ${errText(e)}`, { cause: e }));
        });
      });
    }
    if (tooLarge.length > 0) {
      const reason = `larger than max_datagram_size (${this.cfg.max_datagram_size} bytes)`;
      throw WriteError.partial(`${tooLarge.length} metrics too large for a datagram`, {
        rejected: tooLarge.map((index) => ({ index, reason })),
      });
    }
  }

  async close(): Promise<void> {
    const t = this.tcp;
    this.tcp = undefined;
    if (t !== undefined && !t.destroyed) {
      await new Promise<void>((resolve) => {
        t.once('close', () => resolve());
        t.end();
        setTimeout(() => t.destroy(), 1000).unref();
      });
    }
    const u = this.udp;
    this.udp = undefined;
    if (u !== undefined) await new Promise<void>((resolve) => u.close(() => resolve()));
  }
}
