/**
 * Structured JSON logs (pino) to stderr, so stdout stays free for `--test` output and the stdout
 * output plugin. Secrets are redacted wherever they appear as fields.
 */
import { pino, type Logger } from 'pino';
import { redactUrl } from '../model/redact.ts';

/** Keys of the secret options (see core/config/secret.ts) and of credentials in general. */
const SECRET_KEYS = [
  'token',
  'password',
  'secret',
  'authorization',
  'auth_token',
  'http_auth_token',
  'bearer_token',
  'basic_password',
  'sasl_password',
  'api_key',
  'cookie',
];
const REDACT = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
];

/** Hides URL credentials in the string fields of a log line (and strings one level down). */
function withoutUrlCredentials(obj: Record<string, unknown>): Record<string, unknown> {
  const clean = (v: unknown): unknown =>
    typeof v === 'string'
      ? redactUrl(v)
      : Array.isArray(v)
        ? v.map((x) => (typeof x === 'string' ? redactUrl(x) : x))
        : v;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v instanceof Error) {
      const e = new Error(redactUrl(v.message));
      e.name = v.name;
      e.stack = redactUrl(v.stack ?? '');
      out[k] = e;
    } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const inner: Record<string, unknown> = {};
      for (const [ik, iv] of Object.entries(v)) inner[ik] = clean(iv);
      out[k] = inner;
    } else out[k] = clean(v);
  }
  return out;
}

/** The process logger; plugins get children tagged with their instance. */
export function createLogger(level: string, destination: number | string = 2): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
      // A safety net behind redactUrl at the call sites: no URL credentials reach the log.
      formatters: { log: withoutUrlCredentials },
    },
    pino.destination({ dest: destination, sync: true }),
  );
}
