import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteError } from '../../model/errors/errors.ts';
import { answerError, authHeaders, HttpSender, httpStatusError, retryAfterHeader } from './client.ts';

describe('authHeaders', () => {
  it('should prefer a bearer token over basic auth', () => {
    expect(authHeaders({ token: 't', username: 'u', password: 'p' })).toEqual({ authorization: 'Bearer t' });
  });

  it('should send basic auth with an empty password when none is set', () => {
    expect(authHeaders({ username: 'u' })).toEqual({
      authorization: 'Basic ' + Buffer.from('u:').toString('base64'),
    });
  });

  it('should send no authorization without credentials', () => {
    expect(authHeaders({})).toEqual({});
  });
});

describe('retryAfterHeader', () => {
  it('should take the first of repeated Retry-After headers', () => {
    expect(retryAfterHeader({ 'retry-after': ['3', '9'] })).toBe('3');
    expect(retryAfterHeader({})).toBeUndefined();
  });
});

describe('httpStatusError', () => {
  it('should reject 400, 413 and 422 for good and retry the rest honouring Retry-After', () => {
    for (const s of [400, 413, 422]) expect(httpStatusError('HTTP', s, '', undefined).kind).toBe('permanent');
    const err = httpStatusError('HTTP', 503, ' busy \n', '4');
    expect(err.kind).toBe('retryable');
    expect(err.retryAfterMs).toBe(4000);
    expect(err.message).toBe('HTTP 503: busy');
  });

  it('should retry 401 and 403 with the hint when one is given', () => {
    const err = httpStatusError('X answered', 401, '', '9', { authHint: 'check the credentials' });
    expect(err.kind).toBe('retryable');
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.message).toBe('X answered 401 (check the credentials)');
  });

  it('should use the permanent statuses it is given', () => {
    expect(httpStatusError('HTTP', 400, '', undefined, { permanent: new Set([409]) }).kind).toBe('retryable');
    expect(httpStatusError('HTTP', 409, '', undefined, { permanent: new Set([409]) }).kind).toBe('permanent');
  });
});

/** A loopback server answering with `answer`; records what it got. */
async function server(
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ url: string; got: { method?: string; headers: http.IncomingHttpHeaders; body: string }[] }> {
  const got: { method?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ method: req.method, headers: req.headers, body });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/in`, got };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const noTls = { insecure_skip_verify: false };

describe('HttpSender', () => {
  it('should send its headers and the body, and return status, text and Retry-After', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(429, { 'retry-after': '7' });
      res.end('slow down');
    });
    const sender = new HttpSender({ tls: noTls, headers: { 'x-team': 'sre' }, timeoutMs: 2000 });
    cleanups.push(() => sender.close());
    sender.connect();
    expect(await sender.send(srv.url, 'a v=1i')).toEqual({ status: 429, text: 'slow down', retryAfter: '7' });
    expect(srv.got).toHaveLength(1);
    expect(srv.got[0]).toMatchObject({ method: 'POST', body: 'a v=1i' });
    expect(srv.got[0].headers['x-team']).toBe('sre');
  });

  it("should use a request's own method and headers instead of the defaults", async () => {
    const srv = await server((_req, res) => res.end());
    const sender = new HttpSender({ tls: noTls, headers: { 'content-encoding': 'gzip' }, timeoutMs: 2000 });
    cleanups.push(() => sender.close());
    const a = await sender.send(srv.url, 'q=1', { method: 'PUT', headers: { 'x-only': '1' } });
    expect(a).toMatchObject({ status: 200 });
    expect(srv.got[0].method).toBe('PUT');
    expect(srv.got[0].headers['x-only']).toBe('1');
    expect(srv.got[0].headers['content-encoding']).toBeUndefined();
  });

  it('should return a retryable error naming the host when the server does not answer in time', async () => {
    const srv = await server(() => {
      // never answers
    });
    const sender = new HttpSender({ tls: noTls, headers: {}, timeoutMs: 200, what: 'remote write' });
    cleanups.push(() => sender.close());
    const a = await sender.send(srv.url, 'x');
    expect(a).toBeInstanceOf(WriteError);
    expect((a as WriteError).kind).toBe('retryable');
    expect((a as WriteError).message).toMatch(/^remote write to 127\.0\.0\.1:\d+ failed: /);
  });

  it('should return a retryable error when the connection is refused', async () => {
    const srv = await server((_req, res) => res.end());
    await cleanups.pop()?.(); // closed: nothing listens on the port any more
    const sender = new HttpSender({ tls: noTls, headers: {}, timeoutMs: 2000 });
    cleanups.push(() => sender.close());
    const a = await sender.send(srv.url, 'x');
    expect(a).toBeInstanceOf(WriteError);
    expect((a as WriteError).kind).toBe('retryable');
    expect((a as WriteError).message).toMatch(/^request to 127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/);
  });

  it('should fail connect() when a TLS file is missing', () => {
    const sender = new HttpSender({
      tls: { tls_ca: '/nonexistent/ca.pem', insecure_skip_verify: false },
      headers: {},
      timeoutMs: 1000,
    });
    expect(() => sender.connect()).toThrow(/ENOENT.*\/nonexistent\/ca\.pem/);
  });
});

describe('answerError', () => {
  const toError = (status: number, body: string, ra: string | undefined): WriteError =>
    httpStatusError('X answered', status, body, ra);

  it('should take a 2xx, or only the given statuses when there are some', () => {
    expect(answerError({ status: 204, text: '', retryAfter: undefined }, toError)).toBeUndefined();
    expect(answerError({ status: 201, text: '', retryAfter: undefined }, toError, [200])?.message).toBe(
      'X answered 201',
    );
    expect(
      answerError({ status: 302, text: '', retryAfter: undefined }, toError, [200, 302]),
    ).toBeUndefined();
  });

  it('should map other statuses with the given mapping and pass request errors through', () => {
    const e = answerError({ status: 503, text: 'down', retryAfter: '3' }, toError);
    expect(e?.kind).toBe('retryable');
    expect(e?.retryAfterMs).toBe(3000);
    expect(e?.message).toBe('X answered 503: down');
    const failed = WriteError.retryable('request to h failed: reset');
    expect(answerError(failed, toError)).toBe(failed);
  });
});
