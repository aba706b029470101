/**
 * Central configuration: `GET /v1/config/<name>` answers `<config_dir>/<name>.toml` with an ETag
 * (a hash of its content), and 304 when the agent's If-None-Match names the current one, so
 * agents poll cheaply. The collector serves the file as it is; the agent validates it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export const CONFIG_PATH = '/v1/config/';

/** A config name: letters, digits, dot, dash and underscore, not starting with a dot. */
const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export type ConfigAnswer =
  | { status: 200; etag: string; body: Buffer }
  | { status: 304; etag: string }
  | { status: 400 | 404; error: string };

/** The ETag of a config's bytes (quoted, as HTTP wants it). */
export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
}

/** True when an If-None-Match header names `etag` (a list, weak tags and `*` understood). */
export function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined || ifNoneMatch === '') return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

/** Answers a config request for `name` from `dir` ('' : central configuration is off). */
export async function serveConfig(
  dir: string,
  name: string,
  ifNoneMatch: string | undefined,
): Promise<ConfigAnswer> {
  if (dir === '')
    return { status: 404, error: 'central configuration is off ([collector.fleet] config_dir)' };
  if (!NAME.test(name)) return { status: 400, error: 'bad config name (letters, digits, ".", "-", "_")' };
  let body: Buffer;
  try {
    body = await fs.readFile(path.join(dir, `${name}.toml`));
  } catch {
    return { status: 404, error: `no config named "${name}"` };
  }
  const etag = etagOf(body);
  if (matches(ifNoneMatch, etag)) return { status: 304, etag };
  return { status: 200, etag, body };
}
