/**
 * PostgreSQL password authentication: cleartext, MD5, and SCRAM-SHA-256 (RFC 5802 / 7677, the
 * PostgreSQL 14+ default), without channel binding.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/** The MD5 password answer: "md5" + md5(md5(password + user) + salt). */
export function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5')
    .update(password + user)
    .digest('hex');
  return (
    'md5' +
    createHash('md5')
      .update(Buffer.concat([Buffer.from(inner), salt]))
      .digest('hex')
  );
}

const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();

/** One SCRAM-SHA-256 exchange, client side. */
export class ScramSession {
  private readonly password: string;
  private readonly nonce: string;
  private readonly clientFirstBare: string;
  private serverSignature: Buffer | undefined;

  constructor(password: string, nonce = randomBytes(18).toString('base64')) {
    this.password = password;
    this.nonce = nonce;
    // PostgreSQL takes the user from the startup message; the SCRAM user name is left empty.
    this.clientFirstBare = `n=,r=${nonce}`;
  }

  /** client-first-message (no channel binding). */
  first(): string {
    return 'n,,' + this.clientFirstBare;
  }

  /** client-final-message for the server-first-message; throws when the server's is malformed. */
  final(serverFirst: string): string {
    const attrs = parseAttrs(serverFirst);
    const r = attrs.get('r');
    const s = attrs.get('s');
    const i = Number(attrs.get('i'));
    if (r === undefined || s === undefined || !Number.isInteger(i) || i <= 0)
      throw new Error('malformed SCRAM server-first-message');
    if (!r.startsWith(this.nonce)) throw new Error('SCRAM server nonce does not extend the client nonce');
    const salted = pbkdf2Sync(this.password.normalize('NFKC'), Buffer.from(s, 'base64'), i, 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${r}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let k = 0; k < proof.length; k++) proof[k] = clientKey[k] ^ signature[k];
    this.serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Verifies the server-final-message; throws unless the server proved it knows the password. */
  verify(serverFinal: string): void {
    const attrs = parseAttrs(serverFinal);
    const e = attrs.get('e');
    if (e !== undefined) throw new Error(`SCRAM authentication failed: ${e}`);
    const v = Buffer.from(attrs.get('v') ?? '', 'base64');
    const want = this.serverSignature;
    if (want === undefined || v.length !== want.length || !timingSafeEqual(v, want)) {
      throw new Error('SCRAM server signature does not match');
    }
  }
}

function parseAttrs(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) m.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return m;
}
