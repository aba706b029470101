/**
 * The bounded body reader of the write listeners (http_listener, prometheus_remote_write): one
 * request is held to max_body_size and the bytes of every body in flight of a listener to a
 * shared bound, so many slow large writes cannot exhaust memory together.
 */
import type { IncomingMessage } from 'node:http';
import type { BodyPool } from './body-pool.ts';

/** The bounds a body is read within. */
export interface BodyLimits {
  maxBodySize: number;
  /** Body bytes held by every request in flight of the listener, and their bound. */
  inflight: { bytes: number; max: number };
  /**
   * Buffers for bodies of a declared size (Content-Length up to its maxBytes): the body read
   * comes from it, and the caller gives it back (`pool.give(body)`) once nothing refers to it.
   */
  pool?: BodyPool;
}

/** Why a body was not read whole. */
export type BodyRefusal = 'too large' | 'overloaded';

/**
 * Reads the body whole, or resolves null when it grows past max_body_size ('too large') or the
 * bodies in flight past their bound ('overloaded'): `refuse` answers the request then, before
 * the socket is closed so an unread body is not drained. Bytes read are added to `held` and to
 * the shared in-flight count; the caller gives them back when the request ends.
 */
export function readBody(
  req: IncomingMessage,
  limits: BodyLimits,
  held: { bytes: number },
  refuse: (why: BodyRefusal) => void,
): Promise<Buffer | null> {
  const pool = limits.pool;
  const declared = Number(req.headers['content-length'] ?? 0);
  // Node's HTTP parser delivers exactly Content-Length bytes when the header is there.
  const into =
    pool !== undefined && declared > 0 && declared <= pool.maxBytes && declared <= limits.maxBodySize
      ? pool.take(declared)
      : null;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    /** Bytes copied into the pooled buffer. */
    let copied = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      held.bytes += c.length;
      limits.inflight.bytes += c.length;
      if (size > limits.maxBodySize || limits.inflight.bytes > limits.inflight.max) {
        over = true;
        chunks.length = 0;
        if (into !== null) pool?.give(into);
        refuse(size > limits.maxBodySize ? 'too large' : 'overloaded');
        req.socket.destroySoon();
        resolve(null);
        return;
      }
      if (into !== null && chunks.length === 0 && size <= into.length) {
        c.copy(into, copied);
        copied = size;
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (over) return;
      if (into === null) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
      else if (chunks.length === 0) resolve(into.subarray(0, size));
      else {
        // More than declared (Node's parser does not allow it; kept whole all the same).
        resolve(Buffer.concat([into.subarray(0, copied), ...chunks], size));
        pool?.give(into);
      }
    });
    req.on('error', (e) => {
      if (into !== null) pool?.give(into);
      reject(e);
    });
  });
}
