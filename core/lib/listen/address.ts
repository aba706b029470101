/**
 * Listen addresses of the listeners: `tcp://host:port`, `udp://host:port`, or a bare
 * `host:port` taken as the listener's default protocol.
 */
import { z } from 'zod';
import { splitHostPort } from '../http/server.ts';

/** Transport of a listener or a socket writer. */
export type SocketProtocol = 'tcp' | 'udp';

/** A parsed listen (or connect) address. */
export interface SocketAddress {
  protocol: SocketProtocol;
  host: string;
  port: number;
}

/** Parses `tcp://127.0.0.1:8094`; throws with the reason when malformed. */
export function parseSocketAddress(text: string, fallback: SocketProtocol = 'tcp'): SocketAddress {
  const m = /^([a-z0-9]+):\/\/(.*)$/.exec(text);
  let protocol: string = fallback;
  let rest = text;
  if (m !== null) {
    protocol = m[1];
    rest = m[2];
  }
  if (protocol === 'tcp4' || protocol === 'tcp6') protocol = 'tcp';
  if (protocol === 'udp4' || protocol === 'udp6') protocol = 'udp';
  if (protocol !== 'tcp' && protocol !== 'udp')
    throw new Error(`unsupported protocol "${protocol}" (use tcp:// or udp://)`);
  const { host, port } = splitHostPort(rest);
  if (port > 65535) throw new Error(`port ${port} out of range`);
  return { protocol, host, port };
}

/** zod schema of a socket address string, validated (the value stays the string). */
export function socketAddressSchema(fallback: SocketProtocol = 'tcp') {
  return z.string().superRefine((v, ctx) => {
    try {
      parseSocketAddress(v, fallback);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
    }
  });
}

/** zod schema of a plain `host:port` listen address. */
export const hostPortSchema = z.string().superRefine((v, ctx) => {
  try {
    splitHostPort(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
  }
});
