/**
 * Dashboard sessions: a browser's EventSource cannot send an Authorization header, so the login
 * form POSTs the admin token once (in the header, never in a URL) and gets a random session id in
 * an HttpOnly, SameSite=Strict cookie (Secure over TLS). The token itself is never stored in the
 * browser. Sessions live in memory (a collector restart logs everyone out), expire after
 * SESSION_TTL_MS, and are bounded in number (the oldest go first).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE = 'viva_session';
const SESSION_TTL_MS = 12 * 3600_000;
const MAX_SESSIONS = 1000;

/** The value of cookie `name` in a request, if any. */
export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class Sessions {
  /** Session id → expiry (ms); a Map keeps insertion order, so the oldest is first. */
  private readonly ids = new Map<string, number>();
  private readonly secure: boolean;
  private readonly now: () => number;

  constructor(opts: { secure: boolean; now?: () => number }) {
    this.secure = opts.secure;
    this.now = opts.now ?? Date.now;
  }

  /** Opens a session; returns its Set-Cookie header value. */
  open(): string {
    const id = randomBytes(32).toString('base64url');
    this.ids.set(id, this.now() + SESSION_TTL_MS);
    for (const k of this.ids.keys()) {
      if (this.ids.size <= MAX_SESSIONS) break;
      this.ids.delete(k);
    }
    return this.cookie(id, SESSION_TTL_MS / 1000);
  }

  /** True when the request carries a live session cookie. */
  valid(req: IncomingMessage): boolean {
    const id = cookieValue(req, COOKIE);
    if (id === undefined) return false;
    const exp = this.ids.get(id);
    if (exp === undefined) return false;
    if (exp < this.now()) {
      this.ids.delete(id);
      return false;
    }
    return true;
  }

  /** Ends the request's session; returns the Set-Cookie header value that clears the cookie. */
  close(req: IncomingMessage): string {
    const id = cookieValue(req, COOKIE);
    if (id !== undefined) this.ids.delete(id);
    return this.cookie('', 0);
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    return `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${this.secure ? '; Secure' : ''}`;
  }
}
