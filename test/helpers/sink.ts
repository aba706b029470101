/**
 * A local HTTP server standing in for a destination: records every line it accepts and can be
 * told to fail (503) for a while.
 */
import http from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface Sink {
  port: number;
  lines: string[];
  /** Status answered while failing. */
  failWith: number | null;
  requests: number;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const sink: Sink = { port: 0, lines: [], failWith: null, requests: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      sink.requests++;
      if (sink.failWith !== null) {
        res.writeHead(sink.failWith, { 'retry-after': '0' });
        res.end('unavailable');
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      for (const l of body.toString('utf8').split('\n')) if (l !== '') sink.lines.push(l);
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  sink.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  sink.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sink;
}

/** The seq field of each line-protocol line (the generator's unique counter). */
export function seqOf(lines: string[]): number[] {
  return lines.map((l) => {
    const m = /[ ,]seq=(\d+)i/.exec(l);
    if (m === null) throw new Error(`line without seq: ${l}`);
    return Number(m[1]);
  });
}
