/**
 * The one credential check of VIVA's HTTP servers, all constant-time: a bearer token (also
 * accepted as InfluxDB's `Authorization: Token ...`), HTTP basic auth, or InfluxDB v1 `u`/`p`
 * query params. Servers use it through `HttpServer.authorize` (core/lib/http/server.ts), which
 * answers, counts and logs a refusal.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Configured credentials; an absent one is not required. */
export interface Credentials {
  token?: string;
  username?: string;
  password?: string;
}

/** Constant-time comparison of two strings. */
export function sameSecret(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  if (a.length !== b.length) {
    // Compare anyway so a length mismatch takes about as long as a wrong secret.
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** True when auth is configured at all. */
export function authRequired(c: Credentials): boolean {
  return (c.token !== undefined && c.token !== '') || (c.username !== undefined && c.username !== '');
}

/** Checks the request's credentials; `query` carries the v1 `u` and `p` params. */
export function authorized(
  c: Credentials,
  headers: IncomingHttpHeaders,
  query: URLSearchParams | null,
): boolean {
  if (!authRequired(c)) return true;
  const h = headers.authorization ?? '';
  if (c.token !== undefined && c.token !== '') {
    const space = h.indexOf(' ');
    const scheme = space === -1 ? '' : h.slice(0, space).toLowerCase();
    if ((scheme === 'bearer' || scheme === 'token') && sameSecret(h.slice(space + 1), c.token)) return true;
    if (query !== null && sameSecret(query.get('p') ?? '', c.token)) return true;
  }
  if (c.username !== undefined && c.username !== '') {
    let user: string | null = null;
    let pass: string | null = null;
    if (h.slice(0, 6).toLowerCase() === 'basic ') {
      const text = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon !== -1) {
        user = text.slice(0, colon);
        pass = text.slice(colon + 1);
      }
    } else if (query !== null && query.has('u')) {
      user = query.get('u');
      pass = query.get('p') ?? '';
    }
    if (user !== null && pass !== null) {
      const u = sameSecret(user, c.username);
      const p = sameSecret(pass, c.password ?? '');
      return u && p;
    }
  }
  return false;
}
