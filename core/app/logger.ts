/**
 * Structured JSON logs (pino) to stderr, so stdout stays free for `--test` output and the stdout
 * output plugin. Secrets are redacted wherever they appear as fields.
 */
import { pino, type Logger } from 'pino';

const REDACT = [
  'token',
  'password',
  'secret',
  'authorization',
  'auth_token',
  '*.token',
  '*.password',
  '*.secret',
  '*.authorization',
  '*.http_auth_token',
  'headers.authorization',
  '*.headers.authorization',
];

/** The process logger; plugins get children tagged with their instance. */
export function createLogger(level: string, destination: number | string = 2): Logger {
  return pino(
    { level, base: { pid: process.pid }, redact: { paths: REDACT, censor: '[redacted]' } },
    pino.destination({ dest: destination, sync: true }),
  );
}
